/**
 * @churn/service-kit/testing — helpers the apps' e2e tests, the system tests and the benchmarks
 * share to start MLflow, Python and the apps, and to relay HTTP to MLflow. No Nest: tooling may
 * import this entry point only.
 */
export {
  startHttpRelay,
  type HttpRelay,
  type RelayAnswer,
  type RelayedRequest,
  type RelayInterceptor,
  type RelayTrap,
} from './lib/testing/http-relay';
export { ownMlflowServerArgs } from './lib/testing/mlflow-server';
export { freePort, killProcessGroup, pinnedPython } from './lib/testing/processes';
export { waitFor } from './lib/testing/wait-for';
