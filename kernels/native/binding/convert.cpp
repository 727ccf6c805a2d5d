#include "convert.hpp"

namespace hlp_binding {

Napi::Error status_error(Napi::Env env, hlp_status st, const std::string &context, const std::string &detail) {
  std::string message = context + ": " + hlp_status_message(st);
  if (!detail.empty()) message += " (" + detail + ")";
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, hlp_status_code(st)));
  return err;
}

Napi::Error status_error(Napi::Env env, hlp_status st, const std::string &context) {
  return status_error(env, st, context, std::string());
}

void throw_status(Napi::Env env, hlp_status st, const std::string &context) { throw status_error(env, st, context); }

void throw_invalid(Napi::Env env, const std::string &message) {
  Napi::TypeError err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  throw err;
}

uint64_t to_u64(const Napi::Value &v, const char *what) {
  Napi::Env env = v.Env();
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw_invalid(env, std::string(what) + " must be a bigint in [0, 2^64)");
    return r;
  }
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
      return static_cast<uint64_t>(d);
    }
  }
  throw_invalid(env, std::string(what) + " must be a non-negative integer (bigint)");
}

uint32_t to_u32(const Napi::Value &v, const char *what) {
  if (!v.IsNumber()) throw_invalid(v.Env(), std::string(what) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    throw_invalid(v.Env(), std::string(what) + " must be an integer in [0, 2^32)");
  }
  return static_cast<uint32_t>(d);
}

double to_f64(const Napi::Value &v, const char *what) {
  if (!v.IsNumber()) throw_invalid(v.Env(), std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::string to_string(const Napi::Value &v, const char *what) {
  if (!v.IsString()) throw_invalid(v.Env(), std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

hlp_variant to_variant(const Napi::Value &v) {
  const std::string name = to_string(v, "variant");
  hlp_variant out;
  if (hlp_variant_parse(name.c_str(), &out) != HLP_OK) {
    throw_invalid(v.Env(), "unknown kernel variant \"" + name + "\" (scalar, avx2, avx512, cuda, auto)");
  }
  return out;
}

namespace {

template <class T>
Napi::TypedArrayOf<T> to_array(const Napi::Value &v, napi_typedarray_type type, const char *what, const char *js_name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw_invalid(v.Env(), std::string(what) + " must be a " + js_name);
  }
  return v.As<Napi::TypedArrayOf<T>>();
}

}  // namespace

Napi::TypedArrayOf<uint64_t> to_u64_array(const Napi::Value &v, const char *what) {
  return to_array<uint64_t>(v, napi_biguint64_array, what, "BigUint64Array");
}

Napi::TypedArrayOf<uint8_t> to_u8_array(const Napi::Value &v, const char *what) {
  return to_array<uint8_t>(v, napi_uint8_array, what, "Uint8Array");
}

Napi::TypedArrayOf<double> to_f64_array(const Napi::Value &v, const char *what) {
  return to_array<double>(v, napi_float64_array, what, "Float64Array");
}

Napi::TypedArrayOf<uint64_t> aligned_u64(Napi::Env env, std::size_t words, bool zeroed) {
  if (words > (SIZE_MAX - kWordAlignment) / 8) throw_invalid(env, "too many words");
  const std::size_t bytes = words * 8 + kWordAlignment;
  // A Node buffer is not zeroed; an ArrayBuffer is. Both sit where the allocator put them,
  // 16-byte aligned, and never move, so the view's offset fixes its alignment for good.
  Napi::ArrayBuffer backing =
      zeroed ? Napi::ArrayBuffer::New(env, bytes) : Napi::Buffer<uint8_t>::New(env, bytes).ArrayBuffer();
  const auto address = reinterpret_cast<std::uintptr_t>(backing.Data());
  const std::size_t offset = (kWordAlignment - address % kWordAlignment) % kWordAlignment;
  return Napi::TypedArrayOf<uint64_t>::New(env, words, backing, offset, napi_biguint64_array);
}

Napi::Float64Array unzeroed_f64(Napi::Env env, std::size_t count) {
  if (count > SIZE_MAX / sizeof(double)) throw_invalid(env, "too many values");
  Napi::ArrayBuffer backing = Napi::Buffer<uint8_t>::New(env, count * sizeof(double)).ArrayBuffer();
  return Napi::Float64Array::New(env, count, backing, 0);
}

Napi::TypedArrayOf<uint64_t> new_u64(Napi::Env env, std::size_t words) { return aligned_u64(env, words, true); }

Napi::TypedArrayOf<uint64_t> out_u64(Napi::Env env, const Napi::Value &buffer, std::size_t words) {
  if (!given(buffer)) return new_u64(env, words);
  Napi::TypedArrayOf<uint64_t> out = to_u64_array(buffer, "out");
  if (out.ElementLength() != words) {
    throw_invalid(env, "out must hold " + std::to_string(words) + " words, got " + std::to_string(out.ElementLength()));
  }
  return out;
}

void outs_u64(Napi::Env env, const Napi::Value &outs, uint32_t count, std::size_t words, const char *per,
              Napi::Array &results, std::vector<uint64_t *> &ptrs) {
  const bool outs_given = given(outs);
  if (outs_given && (!outs.IsArray() || outs.As<Napi::Array>().Length() != count)) {
    throw_invalid(env, std::string("outs must be an array with one buffer per ") + per);
  }
  results = outs_given ? outs.As<Napi::Array>() : Napi::Array::New(env, count);
  ptrs.assign(count, nullptr);
  for (uint32_t r = 0; r < count; ++r) {
    auto out = out_u64(env, outs_given ? results.Get(r) : env.Undefined(), words);
    if (!outs_given) results.Set(r, out);
    ptrs[r] = out.Data();
  }
}

}  // namespace hlp_binding
