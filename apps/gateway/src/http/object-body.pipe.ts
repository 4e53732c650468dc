import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { GatewayError, GatewayErrorCode } from '@tollgate/common';

/**
 * An admin body of JSON `null` is a 400, like `[]` or `"x"`. Nest's ValidationPipe would turn it
 * into `{}`, so a PATCH of `null` answered 200 having changed nothing, and a search of `null`
 * listed everything.
 */
@Injectable()
export class ObjectBodyPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && value === null) {
      throw new GatewayError(GatewayErrorCode.InvalidRequest, 'the request body must be a JSON object, not null');
    }
    return value;
  }
}
