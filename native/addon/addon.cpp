// Module entry: each part of the library registers its functions here.
#include <napi.h>

namespace sshn::addon {
void registerBinaryHopfield(Napi::Env env, Napi::Object exports);
void registerSparseMap(Napi::Env env, Napi::Object exports);
void registerLshn(Napi::Env env, Napi::Object exports);
void registerTransforms(Napi::Env env, Napi::Object exports);
void registerMemory(Napi::Env env, Napi::Object exports);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sshn::addon::registerBinaryHopfield(env, exports);
  sshn::addon::registerSparseMap(env, exports);
  sshn::addon::registerLshn(env, exports);
  sshn::addon::registerTransforms(env, exports);
  sshn::addon::registerMemory(env, exports);
  // The kernel interface version src/backend.ts expects (ADDON_ABI_VERSION); bump both together.
  exports.Set("abiVersion", Napi::Number::New(env, 3));
  return exports;
}

NODE_API_MODULE(sshn, Init)
