#pragma once
// Overloaded{lambdas...}: one visitor for std::visit from several lambdas, shared by the
// library's sources (not installed).

namespace vtap::detail {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace vtap::detail
