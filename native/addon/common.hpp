// Helpers shared by the N-API bindings: argument unpacking and the exception boundary.
// The TypeScript layer validates everything first; these checks are the last line of defence.
#pragma once
#include <napi.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <string>

#include "../core/errors.hpp"

namespace sshn::addon {

// Runs body, turning any C++ exception into a pending JavaScript exception of the right class.
template <typename Body>
Napi::Value guarded(const Napi::CallbackInfo& info, Body body) {
  Napi::Env env = info.Env();
  try {
    return body(env);
  } catch (const Napi::Error&) {
    throw;
  } catch (const sshn::TypeError& e) {
    throw Napi::TypeError::New(env, e.what());
  } catch (const sshn::RangeError& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "sshn: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("sshn: ") + e.what());
  }
}

// Maps a caught exception (inside an AsyncWorker) to a message for SetError.
inline std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::bad_alloc&) {
    return "sshn: out of memory";
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "sshn: unknown native error";
  }
}

template <typename T> constexpr napi_typedarray_type napiTypeOf();
template <> constexpr napi_typedarray_type napiTypeOf<int8_t>() { return napi_int8_array; }
template <> constexpr napi_typedarray_type napiTypeOf<uint8_t>() { return napi_uint8_array; }
template <> constexpr napi_typedarray_type napiTypeOf<int16_t>() { return napi_int16_array; }
template <> constexpr napi_typedarray_type napiTypeOf<int32_t>() { return napi_int32_array; }
template <> constexpr napi_typedarray_type napiTypeOf<uint32_t>() { return napi_uint32_array; }
template <> constexpr napi_typedarray_type napiTypeOf<float>() { return napi_float32_array; }
template <> constexpr napi_typedarray_type napiTypeOf<double>() { return napi_float64_array; }

// A typed array of element type T with at least minLength elements, or a TypeError/RangeError naming it.
template <typename T>
Napi::TypedArrayOf<T> typedArrayArg(const Napi::Value& value, const char* name, size_t minLength = 0) {
  if (!value.IsTypedArray()) throw sshn::TypeError(std::string(name) + " must be a typed array");
  if (value.As<Napi::TypedArray>().TypedArrayType() != napiTypeOf<T>()) {
    throw sshn::TypeError(std::string(name) + " has the wrong element type");
  }
  auto array = value.As<Napi::TypedArrayOf<T>>();
  if (array.ElementLength() < minLength) {
    throw sshn::RangeError(std::string(name) + " has " + std::to_string(array.ElementLength()) +
                           " elements, fewer than the " + std::to_string(minLength) + " required");
  }
  return array;
}

inline int64_t integerArg(const Napi::Value& value, const char* name, int64_t min, int64_t max) {
  if (!value.IsNumber()) throw sshn::TypeError(std::string(name) + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || v != static_cast<double>(static_cast<int64_t>(v))) {
    throw sshn::RangeError(std::string(name) + " must be an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "]");
  }
  return static_cast<int64_t>(v);
}

inline double numberArg(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) throw sshn::TypeError(std::string(name) + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

}  // namespace sshn::addon
