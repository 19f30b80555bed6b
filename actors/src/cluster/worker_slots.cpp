#include "worker_slots.hpp"

namespace eddy::actors::cluster {

namespace {

std::string key_of(uint32_t worker) {
  return "cluster.worker." + std::to_string(worker);
}

} // namespace

expected<worker_slots> worker_slots::open(journal::sqlite_journal& jn, uint32_t workers) {
  auto stored = jn.meta("cluster.workers");
  if (!stored)
    return stored.error();
  if (!*stored) {
    if (auto err = jn.meta("cluster.workers", std::to_string(workers)))
      return err;
  }
  worker_slots slots;
  slots.jn_ = &jn;
  try {
    slots.first_ = *stored ? static_cast<uint32_t>(std::stoul(**stored)) : workers;
  } catch (const std::exception&) {
    return error{errc::corrupt, "cluster.workers is '" + **stored + "', not a number"};
  }
  for (uint32_t w = 0;; ++w) {
    auto dir = jn.meta(key_of(w));
    if (!dir)
      return dir.error();
    if (!*dir && w >= slots.first_)
      break;
    slots.dirs_.push_back(dir->value_or(""));
  }
  return slots;
}

expected<uint32_t> worker_slots::claim(const std::string& state_dir) {
  for (uint32_t w = 0; w < dirs_.size(); ++w)
    if (dirs_[w] == state_dir)
      return w;
  auto w = static_cast<uint32_t>(dirs_.size());
  for (uint32_t k = 0; k < dirs_.size(); ++k)
    if (dirs_[k].empty()) {
      w = k;
      break;
    }
  if (auto err = jn_->meta(key_of(w), state_dir))
    return err;
  if (w == dirs_.size())
    dirs_.push_back(state_dir);
  else
    dirs_[w] = state_dir;
  return w;
}

} // namespace eddy::actors::cluster
