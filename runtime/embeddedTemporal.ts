import { TestWorkflowEnvironment } from '@temporalio/testing';
import { join } from 'node:path';
import type { Config } from './config.ts';
import { type DevServer, startDevServer } from './devServer.ts';
import type { Logger } from './logger.ts';
import { dataPaths } from './paths.ts';
import { assertPortFree } from './portInUse.ts';
import { findTemporalBinary, NO_TEMPORAL_CLI_HELP } from './temporalCli.ts';

/** The embedded default: a local dev server persisted to SQLite under RIPOSTE_DATA_DIR, UI on RIPOSTE_DEV_UI_PORT. */
export async function startEmbeddedTemporal(config: Config, logger: Logger, projectDir: string): Promise<DevServer> {
  // Checked before the server starts, so a taken port is one line rather than the server's own failure output.
  await assertPortFree(config.temporal.devServerPort, '127.0.0.1', 'RIPOSTE_DEV_SERVER_PORT');
  await assertPortFree(config.temporal.devUiPort, '127.0.0.1', 'RIPOSTE_DEV_UI_PORT');
  const dbFile = dataPaths(config).temporalDb;
  const cli = findTemporalBinary('temporal', { explicitPath: config.temporal.cliPath, envPath: process.env.PATH, projectDir });
  if (cli) {
    logger.info('starting the Temporal dev server', { cli: cli.path, from: cli.source, dbFile });
    return startDevServer({ cliPath: cli.path, port: config.temporal.devServerPort, uiPort: config.temporal.devUiPort, dbFile, namespace: config.temporal.namespace });
  }
  logger.warn('no Temporal CLI found; trying the SDK download (needs internet)');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: join(projectDir, '.tools', 'sdk-download') },
        ip: '127.0.0.1',
        port: config.temporal.devServerPort,
        uiPort: config.temporal.devUiPort,
        dbFilename: dbFile,
        namespace: config.temporal.namespace,
      },
    });
    return { address: `127.0.0.1:${config.temporal.devServerPort}`, uiUrl: `http://localhost:${config.temporal.devUiPort}`, stop: () => env.teardown() };
  } catch (err) {
    throw new Error(`${NO_TEMPORAL_CLI_HELP}\n(the SDK download failed: ${(err as Error).message})`);
  }
}
