// Async calls: a promise settled by work run on the libuv thread pool, with the JavaScript arrays
// the work reads or writes pinned until it settles.
#pragma once
#include <napi.h>

#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
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

  // Replaces AsyncWorker's, which lets the Napi::Error of a failed handle scope or settle escape
  // (std::terminate) when the environment is being torn down: a worker that ends while the call
  // runs. Then no JavaScript can run any more, so the promise is dropped and only the worker ends.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    if (status != napi_cancelled) {
      try {
        Napi::HandleScope scope(env);
        try {
          settle(env);
        } catch (...) {
          deferred_.Reject(Napi::Error::New(env, "sshn: the result of an async call could not be delivered").Value());
        }
      } catch (...) {
      }
    }
    Destroy();
  }

 private:
  void settle(Napi::Env env) {
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

// A job's two entry points, from its argument parser args(info, pins) and its run(): runJob runs
// it on the calling thread; queueJob pins its arrays and runs it on the libuv pool, the promise
// resolving with run()'s number (0 for jobs that only fill their outputs).
template <typename Job, Job (*args)(const Napi::CallbackInfo&, Pins*)>
Napi::Value runJob(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const Job job = args(info, nullptr);
    if constexpr (std::is_void_v<decltype(job.run())>) {
      job.run();
      return env.Undefined();
    } else {
      return Napi::Number::New(env, job.run());
    }
  });
}

template <typename Job, Job (*args)(const Napi::CallbackInfo&, Pins*)>
Napi::Value queueJob(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto pins = std::make_unique<Pins>();
    const Job job = args(info, pins.get());
    return queuePromise(env, std::move(pins), [job] {
      if constexpr (std::is_void_v<decltype(job.run())>) {
        job.run();
        return 0.0;
      } else {
        return static_cast<double>(job.run());
      }
    });
  });
}

}  // namespace sshn::addon
