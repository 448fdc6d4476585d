// Async calls: a promise settled by work run on the libuv thread pool, with the JavaScript arrays
// the work reads or writes pinned until it settles.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "common.hpp"

namespace sshn::addon {

// Keeps the JavaScript arrays behind raw pointers alive while an async call runs.
class Pins {
 public:
  void add(const Napi::Value& value) {
    if (value.IsObject()) refs_.push_back(Napi::Persistent(value.As<Napi::Object>()));
  }

 private:
  std::vector<Napi::ObjectReference> refs_;
};

// Runs `work` off the main thread; the promise resolves with its number or rejects with its error.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::unique_ptr<Pins> pins, std::function<double()> work)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), pins_(std::move(pins)),
        work_(std::move(work)) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      result_ = work_();
    } catch (...) {
      error_ = std::current_exception();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (error_) {
      const std::string message = describe(error_);
      try {
        std::rethrow_exception(error_);
      } catch (const sshn::TypeError&) {
        deferred_.Reject(Napi::TypeError::New(env, message).Value());
      } catch (const sshn::RangeError&) {
        deferred_.Reject(Napi::RangeError::New(env, message).Value());
      } catch (...) {
        deferred_.Reject(Napi::Error::New(env, message).Value());
      }
      return;
    }
    deferred_.Resolve(Napi::Number::New(env, result_));
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<Pins> pins_;
  std::function<double()> work_;
  std::exception_ptr error_;
  double result_ = 0;
};


// Queues `work` and returns its promise.
inline Napi::Promise queuePromise(Napi::Env env, std::unique_ptr<Pins> pins, std::function<double()> work) {
  auto* worker = new PromiseWorker(env, std::move(pins), std::move(work));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace sshn::addon
