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
  } else if (**stored != std::to_string(workers)) {
    return error{errc::invalid_argument,
                 "the coordinator's state holds this job on " + **stored
                   + " workers, not --workers " + std::to_string(workers)};
  }
  worker_slots slots;
  slots.jn_ = &jn;
  slots.dirs_.resize(workers);
  for (uint32_t w = 0; w < workers; ++w) {
    auto dir = jn.meta(key_of(w));
    if (!dir)
      return dir.error();
    slots.dirs_[w] = dir->value_or("");
  }
  return slots;
}

expected<uint32_t> worker_slots::claim(const std::string& state_dir) {
  for (uint32_t w = 0; w < dirs_.size(); ++w)
    if (dirs_[w] == state_dir)
      return w;
  for (uint32_t w = 0; w < dirs_.size(); ++w) {
    if (!dirs_[w].empty())
      continue;
    if (auto err = jn_->meta(key_of(w), state_dir))
      return err;
    dirs_[w] = state_dir;
    return w;
  }
  std::string taken;
  for (auto& d : dirs_)
    taken += (taken.empty() ? "" : ", ") + d;
  return error{errc::invalid_argument, "state directory '" + state_dir
                                         + "' belongs to none of the job's workers (their state is in "
                                         + taken + ")"};
}

} // namespace eddy::actors::cluster
