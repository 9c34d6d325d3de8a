// Runs miniprogram-ci's offline checks on the project in argv[2] (a folder with
// project.config.json) and prints one JSON line: { quality, files }. Run as a child process:
// miniprogram-ci leaves a file watcher open, so this script exits explicitly.
import crypto from 'node:crypto';

import ci from 'miniprogram-ci';

async function main() {
  const projectPath = process.argv[2];
  const project = new ci.Project({
    appid: 'touristappid',
    type: 'miniProgram',
    projectPath,
    // The Project constructor requires an upload key even for offline checks, which never use
    // it; a throwaway key generated here satisfies it.
    privateKey: crypto
      .generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' }),
    ignores: ['node_modules/**/*'],
  });
  const quality = await ci.checkCodeQuality(project);
  const analysis = await ci.analyseCode(project, { silent: true });
  const files = (analysis ? analysis.files : []).map((file) => ({
    path: file.path,
    size: file.size,
    subPackage: file.subPackage,
  }));
  process.stdout.write(`\nCODE_QUALITY_RESULT ${JSON.stringify({ quality, files })}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(
      `code quality check failed: ${error && error.stack ? error.stack : error}\n`,
    );
    process.exit(1);
  },
);
