// @ts-check
// Stops a process group once its owner is gone: `node watchdog.mjs <ownerPid> <groupPid>`.
// Test runs start MLflow detached (so it can be stopped as a group); if the test runner is killed
// before its teardown, this keeps the server from outliving it.
const [ownerPid, groupPid] = process.argv.slice(2).map(Number);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const timer = setInterval(() => {
  if (!alive(-groupPid)) {
    clearInterval(timer);
    return;
  }
  if (!alive(ownerPid)) {
    clearInterval(timer);
    try {
      process.kill(-groupPid, 'SIGTERM');
      setTimeout(() => {
        if (alive(-groupPid)) process.kill(-groupPid, 'SIGKILL');
      }, 10_000).unref();
    } catch {
      // already gone
    }
  }
}, 1000);
