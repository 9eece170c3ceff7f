// SPDX-License-Identifier: BSL-1.0
// any_policy: a cleaning_policy chosen at run time (the CLI's --policy), holding
// any model of cloudlog::cleaning_policy unchanged.
#ifndef LFS_DISK_ANY_POLICY_HPP
#define LFS_DISK_ANY_POLICY_HPP

#include <concepts>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cloudlog/policy/cleaning_policy.hpp"

namespace lfs {

// Type-erases one cleaning_policy. Copies share the held policy (it is immutable).
class any_policy {
 public:
  template <cloudlog::cleaning_policy Policy>
  requires(!std::same_as<Policy, any_policy>) explicit any_policy(Policy p)
      : self_(std::make_shared<model<Policy>>(std::move(p))) {}

  std::vector<cloudlog::segment_id> select(std::span<const cloudlog::segment_usage> t) const {
    return self_->select(t);
  }
  std::uint32_t placement(std::uint64_t age) const { return self_->placement(age); }
  std::string_view name() const { return self_->name(); }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual std::vector<cloudlog::segment_id> select(
        std::span<const cloudlog::segment_usage>) const = 0;
    virtual std::uint32_t placement(std::uint64_t) const = 0;
    virtual std::string_view name() const = 0;
  };
  template <class Policy>
  struct model final : concept_t {
    explicit model(Policy p) : policy(std::move(p)) {}
    std::vector<cloudlog::segment_id> select(
        std::span<const cloudlog::segment_usage> t) const override {
      return policy.select(t);
    }
    std::uint32_t placement(std::uint64_t age) const override { return policy.placement(age); }
    std::string_view name() const override { return policy.name(); }
    Policy policy;
  };
  std::shared_ptr<const concept_t> self_;
};
static_assert(cloudlog::cleaning_policy<any_policy>);

}  // namespace lfs

#endif  // LFS_DISK_ANY_POLICY_HPP
