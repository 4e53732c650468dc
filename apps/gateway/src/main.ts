import 'reflect-metadata';
import { EnvValidationError, createLogger, describeStartupFailure, exitOnShutdownSignals, exitOnSignalsUntilStarted, isStandalone, loadEnv } from '@tollgate/common';
import { shutdownDeadlineMs, startGateway } from './bootstrap';
import { refusedDefaultBaseUrls } from './proxy/custom/outbound-allow-list.setup';
import { prepareStandalone } from './standalone/standalone';

async function main(): Promise<void> {
  // No DATABASE_URL and no REDIS_URL: standalone first look (embedded Postgres, in-process worker).
  const standalone = isStandalone() ? await prepareStandalone() : null;
  let env;
  try {
    env = loadEnv(process.env, 'gateway', [refusedDefaultBaseUrls]);
  } catch (error) {
    if (error instanceof EnvValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(env.logLevel, 'tollgate-gateway');
  if (standalone) env = { ...env, databaseUrl: standalone.databaseUrl };
  // Standalone mode's embedded Postgres stops on a signal during the start by its own hook.
  const stopStartupSignals = standalone ? null : exitOnSignalsUntilStarted(logger);
  const gateway = await startGateway(env, logger, { shutdownHooks: !standalone }).catch(async (error: unknown) => {
    await standalone?.stop().catch(() => undefined);
    throw error;
  });
  // The running gateway's handlers (exitOnShutdownSignals) are installed by now.
  stopStartupSignals?.();
  if (standalone) {
    // The embedded Postgres goes last: the gateway's last events are recorded into it.
    standalone.takeOverSignals();
    exitOnShutdownSignals(async () => {
      try {
        await gateway.close();
      } finally {
        await standalone.stop();
      }
    }, logger, shutdownDeadlineMs(env) + STANDALONE_POSTGRES_STOP_MS);
    standalone.announce(gateway.proxyPort, gateway.adminPort);
  }
}

/** Room for stopping the embedded Postgres, after the gateway, within the stop deadline. */
const STANDALONE_POSTGRES_STOP_MS = 15_000;

void main().catch((error: unknown) => {
  process.stderr.write(`tollgate gateway failed to start: ${describeStartupFailure(error)}\n`);
  process.exit(1);
});
