// SPDX-License-Identifier: BSL-1.0
// any_policy: a cleaning_policy chosen at run time (tools pick one from a flag).
#ifndef CLOUDLOG_POLICY_ANY_POLICY_HPP
#define CLOUDLOG_POLICY_ANY_POLICY_HPP

#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "cloudlog/policy/cleaning_policy.hpp"

namespace cloudlog {

// Holds any cleaning_policy by value and forwards to it. Copyable (the held policy
// is shared, and policies are immutable). Thread-safe as the held policy.
class any_policy {
 public:
  template <cleaning_policy Policy>
  requires(!std::same_as<std::remove_cvref_t<Policy>, any_policy>)
      any_policy(Policy p)  // NOLINT: implicit, like std::function
      : self_(std::make_shared<model<Policy>>(std::move(p))) {}

  std::vector<segment_id> select(std::span<const segment_usage> table) const {
    return self_->select(table);
  }
  std::uint32_t placement(std::uint64_t age) const { return self_->placement(age); }
  // The held policy's placement(age, scale) if it has one, else placement(age).
  std::uint32_t placement(std::uint64_t age, std::uint64_t scale) const {
    return self_->placement(age, scale);
  }
  std::string_view name() const { return self_->name(); }

 private:
  struct concept_base {
    virtual ~concept_base() = default;
    virtual std::vector<segment_id> select(std::span<const segment_usage>) const = 0;
    virtual std::uint32_t placement(std::uint64_t) const = 0;
    virtual std::uint32_t placement(std::uint64_t, std::uint64_t) const = 0;
    virtual std::string_view name() const = 0;
  };
  template <class P>
  struct model final : concept_base {
    explicit model(P p) : policy(std::move(p)) {}
    std::vector<segment_id> select(std::span<const segment_usage> t) const override {
      return policy.select(t);
    }
    std::uint32_t placement(std::uint64_t age) const override { return policy.placement(age); }
    std::uint32_t placement(std::uint64_t age, std::uint64_t scale) const override {
      return placement_for(policy, age, scale);
    }
    std::string_view name() const override { return policy.name(); }
    P policy;
  };
  std::shared_ptr<const concept_base> self_;
};
static_assert(cleaning_policy<any_policy>);

}  // namespace cloudlog

#endif  // CLOUDLOG_POLICY_ANY_POLICY_HPP
