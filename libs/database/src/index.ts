export { AccessScopeColumns } from './access-scope-columns';
export type { AllowedPath } from './access-scope-columns';
export { EntityList, MIGRATIONS, createDataSource, createDataSourceOptions, createMigrationDataSource } from './data-source';
export { migrationsAreApplied, runMigrationsLocked } from './migrate';
export { numericTransformer } from './numeric.transformer';
export { ROWS_PER_PAGE, pagesOf } from './pages-of';
export { createTestDatabase } from './test-database';
export { saveOrConflict } from './unique-violation';
export { updateLocked } from './update-locked';
