/**
 * Tests run some README commands through Nx (`npx nx run training-worker:train`, ...) while the
 * test itself runs as an Nx task. Nx keys its recursion check on NX_INVOCATION_ROOT_PID, inherited
 * from the outer `nx run-many`: a nested run that builds a library the outer run also builds is then
 * refused as "Recursive task invocation". The nested runs are independent user commands, so the test
 * workers start without that variable.
 */
export function detachFromOuterNxRun() {
  delete process.env.NX_INVOCATION_ROOT_PID;
}
