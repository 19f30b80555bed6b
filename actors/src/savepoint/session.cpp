#include "session.hpp"

#include <algorithm>

#include "logging.hpp"
#include "node_system.hpp"
#include "savepoint/requests.hpp"

namespace eddy::actors::savepoint {

namespace {

/// A stop takes its savepoint without waiting longer for the sources to
/// drain: what is in flight then is in the savepoint's outboxes and goes
/// out again on resume, so waiting is for tidiness, not correctness.
constexpr std::chrono::seconds drain_limit{10};

/// Writing the bodies takes about a second per 100 MB; a writer silent for
/// this long is taken for lost, so no request waits forever.
constexpr std::chrono::seconds write_limit{300};

} // namespace

session::session(const job& j, job_layout layout, caf::actor self, uint32_t source_instances, session_hooks hooks)
  : j_(j), layout_(std::move(layout)), self_(std::move(self)), source_instances_(source_instances),
    hooks_(std::move(hooks)) {
}

void session::request(const std::string& kind, const std::string& to, const std::string& answer_file) {
  if (now_ || stopped_) {
    answer(answer_file, false, stopped_ ? "the job is stopping" : "a savepoint is being taken; try again when it is done");
    return;
  }
  now_.emplace();
  now_->id = next_id_++;
  now_->kind = kind;
  now_->answer_file = answer_file;
  now_->to = to;
  now_->started = std::chrono::steady_clock::now();
  if (kind != "stop")
    return take();
  log::runtime()->info("stopping with a savepoint: the sources pause and drain");
  hooks_.pause_sources(true);
  caf::delayed_anon_send(self_, drain_limit, drain_timeout_atom::value, now_->id);
  if (source_instances_ == 0)
    take();
}

void session::drained(uint32_t instance) {
  if (!now_ || now_->kind != "stop" || now_->where)
    return;
  if (std::find(now_->drained.begin(), now_->drained.end(), instance) == now_->drained.end())
    now_->drained.push_back(instance);
  if (now_->drained.size() >= source_instances_) {
    log::runtime()->info("the sources drained in {:.0f} ms", 1000 * seconds_since(now_->started));
    take();
  }
}

void session::drain_timeout(uint64_t id) {
  if (!now_ || now_->id != id || now_->where)
    return;
  log::runtime()->warn("{} of {} sources drained within {} s; the savepoint holds what is still in flight",
                       now_->drained.size(), source_instances_, drain_limit.count());
  take();
}

void session::take() {
  auto t = begin(j_.config().savepoint_dir, now_->to);
  if (!t)
    return fail(t.error().message());
  now_->where = *t;
  auto writers = hooks_.freeze_and_copy(*t, now_->id);
  if (!writers)
    return fail(writers.error().message());
  now_->writers = *writers;
  caf::delayed_anon_send(self_, write_limit, write_timeout_atom::value, now_->id);
  if (*writers == 0)
    bodies_written(now_->id, true, "[]");
}

void session::bodies_written(uint64_t id, bool ok, const std::string& text) {
  if (!now_ || now_->id != id)
    return;
  if (!ok && now_->failure.empty())
    now_->failure = text;
  if (ok) {
    auto refs = refs_of(text);
    if (!refs && now_->failure.empty())
      now_->failure = refs.error().message();
    if (refs)
      now_->bodies.insert(now_->bodies.end(), refs->begin(), refs->end());
  }
  if (++now_->written < now_->writers)
    return;
  if (!now_->failure.empty())
    return fail(now_->failure);
  auto m = manifest_of(j_, layout_, now_->kind == "stop" ? "stop" : "savepoint");
  m.bodies = std::move(now_->bodies);
  std::sort(m.bodies.begin(), m.bodies.end(),
            [](auto& a, auto& b) { return std::pair{a.stage, a.index} < std::pair{b.stage, b.index}; });
  if (auto err = finish(*now_->where, m))
    return fail(err.message());
  log::runtime()->info("savepoint {} written: {} key groups, {:.1f} MB, in {:.0f} ms", now_->where->final.string(),
                       m.key_groups(), m.body_bytes() / 1e6, 1000 * seconds_since(now_->started));
  done(true, now_->where->final.string());
}

void session::abort(const std::string& why) {
  if (now_)
    fail(why);
}

void session::write_timeout(uint64_t id) {
  if (now_ && now_->id == id && now_->where)
    fail(std::to_string(now_->writers - now_->written) + " of " + std::to_string(now_->writers)
         + " writers did not write their bodies within " + std::to_string(write_limit.count()) + " s");
}

void session::fail(const std::string& why) {
  log::runtime()->error("savepoint failed: {}", why);
  if (now_->where)
    abandon(*now_->where);
  if (now_->kind == "stop")
    hooks_.pause_sources(false);
  done(false, why);
}

void session::done(bool ok, const std::string& text) {
  answer(now_->answer_file, ok, text);
  if (ok && now_->kind == "stop") {
    stopped_ = true;
    stopped_with_ = text;
  }
  now_.reset();
}

} // namespace eddy::actors::savepoint
