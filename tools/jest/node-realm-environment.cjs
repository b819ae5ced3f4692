// Jest runs each test file in its own realm (vm context), but onnxruntime-node's native binding
// builds typed arrays with the main realm's constructors, so `instanceof BigInt64Array` checks fail
// ("A int64 tensor's data must be type of BigInt64Array"). Sharing the main realm's ArrayBuffer and
// typed array constructors with the test realm makes both sides agree.
const { TestEnvironment } = require('jest-environment-node');

const SHARED_CONSTRUCTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NodeRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_CONSTRUCTORS) {
      if (name in globalThis) this.global[name] = globalThis[name];
    }
  }
}

module.exports = NodeRealmEnvironment;
