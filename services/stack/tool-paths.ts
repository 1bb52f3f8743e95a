import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../config/runtime-env';

const versions = require(path.join(PROJECT_ROOT, 'scripts', 'tool-versions.json')) as {
  temporalBin: string;
  temporalServer: string;
  ferretdb: string;
  /** scripts/patches/ferretdb-<name>.patch, applied by bootstrap before the build. */
  ferretdbPatches: string[];
  registry: string;
  cosign: string;
  minio: string;
};

/** Where scripts/bootstrap.sh (and scripts/temporal-server.sh) install their pinned tools. */
export function toolPaths(toolsDir = process.env.LUCID_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'lucid')) {
  const temporalServerDir = path.join(toolsDir, `temporal-server-${versions.temporalServer}`);
  return {
    temporal: path.join(toolsDir, `temporal-${versions.temporalBin}`, 'bin', 'temporal'),
    temporalTestServer: path.join(toolsDir, `temporal-${versions.temporalBin}`, 'bin', 'temporal-test-server'),
    temporalServerVersion: versions.temporalServer,
    temporalServer: path.join(temporalServerDir, 'bin', 'temporal-server'),
    temporalSqlTool: path.join(temporalServerDir, 'bin', 'temporal-sql-tool'),
    temporalServerSchema: path.join(temporalServerDir, 'schema'),
    ferretdb: path.join(toolsDir, 'bin', `ferretdb-${[versions.ferretdb, ...versions.ferretdbPatches].join('-')}`),
    registry: path.join(toolsDir, 'bin', `registry-${versions.registry}`),
    cosign: path.join(toolsDir, 'bin', `cosign-${versions.cosign}`),
    minio: path.join(toolsDir, 'bin', `minio-${versions.minio}`),
    lucidCli: path.join(PROJECT_ROOT, 'dist', 'services', 'cli.js'),
    // npm installs only this machine's platform package of the pinned anvil (package.json optionalDependencies).
    anvil: path.join(PROJECT_ROOT, 'node_modules', '@foundry-rs', `anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`, 'bin', 'anvil'),
  };
}
