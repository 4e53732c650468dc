/**
 * The query of a route that takes none: any parameter is a 400, so a filter the route does not
 * have (`GET /api/custom/providers?provider=x`) is not silently answered with everything.
 */
export class NoQuery {}
