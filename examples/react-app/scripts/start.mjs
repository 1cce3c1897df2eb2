// `npm start`: one command for a newcomer. Builds nothing itself (npm start builds first).
import { startDemo } from './demo.mjs';

const demo = await startDemo({ port: Number(process.env.PORT ?? 5173) });
console.log(`
  archon-auth example app:  ${demo.appUrl}
  archon-auth server:       ${demo.archonUrl}  (data: ${demo.dataDir})
  development admin:        ${demo.admin.email} (password in ${demo.adminFile})
  verification mail:        ${demo.appUrl}/#/mail  (the dev mailbox reads ${demo.dataDir}/mail)

  Ctrl-C stops both.`);
const stop = async () => { await demo.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
process.on('SIGHUP', stop);
