#pragma once

#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>

namespace eddy::dataflow {

/// The type a record payload decodes to: views decode into owning strings.
template <class T>
using stored_t = std::conditional_t<std::is_same_v<std::decay_t<T>, std::string_view>, std::string,
                                    std::decay_t<T>>;

/// The parameter types of a member function or of a lambda's call operator.
template <class M>
struct member_args;
template <class C, class R, class... As>
struct member_args<R (C::*)(As...)> {
  template <size_t I>
  using arg = std::decay_t<std::tuple_element_t<I, std::tuple<As...>>>;
};
template <class C, class R, class... As>
struct member_args<R (C::*)(As...) const> : member_args<R (C::*)(As...)> {};
template <class C, class R, class... As>
struct member_args<R (C::*)(As...) noexcept> : member_args<R (C::*)(As...)> {};
template <class C, class R, class... As>
struct member_args<R (C::*)(As...) const noexcept> : member_args<R (C::*)(As...)> {};

template <class F>
struct callable_args : member_args<decltype(&F::operator())> {};
template <class R, class... As>
struct callable_args<R (*)(As...)> {
  template <size_t I>
  using arg = std::decay_t<std::tuple_element_t<I, std::tuple<As...>>>;
};

/// The I-th parameter type of a lambda, function object or function pointer.
template <class F, size_t I>
using arg_t = typename callable_args<std::decay_t<F>>::template arg<I>;

/// The readable name of type `T` for logs and errors, without namespaces.
std::string demangle(const char* mangled);

/// The name of operator type `T` in logs and errors: `T::operator_name()`
/// if it has one, else its type name.
template <class T>
std::string type_name() {
  if constexpr (requires { T::operator_name(); })
    return T::operator_name();
  else
    return demangle(typeid(T).name());
}

} // namespace eddy::dataflow
