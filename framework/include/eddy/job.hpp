#pragma once

// The job builder: what a user writes in `main`.
//
//   eddy::job job{"wordcount", argc, argv};
//   job.source(eddy::connectors::file::lines(job.arg("input")))
//      .flat_map(split_words)
//      .key_by([](const std::string& w) { return w; })
//      .process<word_count>()
//      .sink(eddy::connectors::file::lines_out(job.arg("output"), format));
//   return eddy::run(job);

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eddy/codec.hpp"
#include "eddy/context.hpp"
#include "eddy/dataflow/graph.hpp"
#include "eddy/dataflow/keyed_logic.hpp"
#include "eddy/dataflow/traits.hpp"
#include "eddy/error.hpp"
#include "eddy/key_group.hpp"
#include "eddy/side_output.hpp"
#include "eddy/sink.hpp"
#include "eddy/source.hpp"
#include "eddy/time.hpp"

namespace eddy {

/// Where a process runs its part of a job (`--role`): every actor here
/// (`local`), the cluster's coordinator (places tasks, runs none), or one of
/// its workers. Every node runs the same binary with the same job arguments.
enum class node_role { local, coordinator, worker };

/// Settings of a job run, from the command line (`--state-dir`, ...).
struct job_config {
  std::string name;
  std::filesystem::path state_dir;
  uint32_t max_key_groups = default_max_key_groups;
  uint32_t parallelism = 1;
  bool journal = true;                    ///< false: snapshots only, not exactly-once
  uint64_t snapshot_every_entries = 1000; ///< per partition
  uint64_t snapshot_interval_ms = 10'000; ///< per partition
  uint32_t restart_budget = 5;            ///< restarts of one partition per window
  uint64_t restart_window_ms = 60'000;
  uint64_t restart_backoff_ms = 10;       ///< first backoff; doubles up to 2 s
  uint32_t source_chunk = 32'768;          ///< values a source reads per step
  int64_t idle_timeout_ms = 0;            ///< an input silent this long stops holding
                                          ///< the watermark back; 0 = never idle
  int64_t watermark_interval_ms = 5;      ///< the source and keyed partitions send
                                          ///< watermarks that ride on no batch at most
                                          ///< this often
  /// Credit: what all channels of the job together may hold unacknowledged,
  /// records plus a fixed cost per batch (DESIGN.md, "Execution and
  /// transport"). Shared evenly by the producing instances (source and keyed
  /// operator instances); a keyed instance splits its share evenly over its
  /// key groups, at least 4 KiB each, so it does not grow with key groups
  /// until they are more than share / 4 KiB per instance. A producer pauses
  /// while its share is spent, so this bounds what a slow sink makes the
  /// job buffer; state, the journal's pages and the allocator's arenas come
  /// on top (bench_memory). `--channel-budget-mib` defaults to 4 in a
  /// cluster (job.cpp says why).
  uint64_t channel_budget_bytes = uint64_t{16} << 20;
  // -- savepoints (actors/src/savepoint/README.md) --
  std::filesystem::path from_savepoint;   ///< start from this savepoint (empty: none)
  bool allow_non_restored_state = false;  ///< drop state of operators the job no longer has
  std::filesystem::path savepoint_dir;    ///< where savepoints go
  std::filesystem::path check_savepoint;  ///< only check that the job can start from this one
  uint32_t threads = 0;                   ///< CAF scheduler threads; 0 = cores
  std::string log_level = "info";
  std::string log_format = "text";         ///< `text` or `json` (one object per line)
  /// HOST:PORT where this node serves Prometheus `/metrics` (port 0: any
  /// free one); empty: no metrics endpoint (actors/src/metrics/README.md).
  std::string metrics_listen;
  // -- cluster (actors/src/cluster/README.md) --
  node_role role = node_role::local;
  std::string listen = "127.0.0.1:0";     ///< coordinator: HOST:PORT it listens on (0: any free port)
  std::string coordinator;                ///< worker: HOST:PORT of the coordinator
  uint32_t workers = 1;                   ///< coordinator: workers the job runs on
  uint64_t connect_timeout_ms = 5'000;    ///< worker: give up reaching the coordinator after this
  uint64_t heartbeat_ms = 200;            ///< every node: middleman heartbeat interval
  uint64_t peer_timeout_ms = 2'000;       ///< every node: a peer silent this long is lost
};

class job;

template <class T>
class stream;

template <class K, class T, class Assigner>
class windowed_stream;

/// A stream partitioned by key `K`; the next step is process().
template <class K, class T>
class keyed_stream {
public:
  /// Runs keyed process function `F` (constructed per partition from `args`)
  /// on this stream. Returns the stream of its outputs.
  template <class F, class... Args>
  auto process(Args... args);

  /// Runs event-sourced behavior `B` (constructed per partition from `args`).
  template <class B, class... Args>
  auto process_events(Args... args);

  /// Cuts this stream into event-time windows of `assigner` (eddy::tumbling,
  /// eddy::sliding, eddy::session); defined in eddy/window.hpp.
  template <class Assigner>
  windowed_stream<K, T, Assigner> window(Assigner assigner);

private:
  friend class stream<T>;
  template <class Out, class MakeLogic>
  stream<Out> add_stage(std::string name, MakeLogic make);

  job* job_;
  std::function<void(dataflow::chain_factory<T>)> attach_;
  std::function<void(const T&, std::string&)> key_bytes_;
  int producer_ = -1;  ///< the stage whose chain this is: -1 the source, else a keyed stage
  uint32_t edge_ = 0;  ///< the producer's output edge this chain ends in
};

/// A stream of values of type `T`: chain stateless steps, then key_by or sink.
/// Steps run in the producing actor, in order, one value at a time.
template <class T>
class stream {
public:
  stream(job* j, std::function<void(dataflow::chain_factory<T>)> attach)
    : job_(j), attach_(std::move(attach)) {
  }

  /// Transforms every value with `f(const T&) -> U`.
  template <class F>
  auto map(F f) {
    using U = std::decay_t<std::invoke_result_t<F&, const T&>>;
    return then<U>([f](const dataflow::push_fn<U>& next, dataflow::output_port&) {
      return dataflow::push_fn<T>([f, next](const T& x, int64_t t) { next(f(x), t); });
    });
  }

  /// Keeps the values for which `pred(const T&)` is true.
  template <class F>
  stream<T> filter(F pred) {
    return then<T>([pred](const dataflow::push_fn<T>& next, dataflow::output_port&) {
      return dataflow::push_fn<T>([pred, next](const T& x, int64_t t) {
        if (pred(x))
          next(x, t);
      });
    });
  }

  /// Emits zero or more values per value: `f(const T&, collector<U>&)`.
  template <class F>
  auto flat_map(F f) {
    using U = typename dataflow::arg_t<F, 1>::value_type;
    return then<U>([f](const dataflow::push_fn<U>& next, dataflow::output_port& port) {
      auto keep = std::make_shared<dataflow::push_fn<U>>(next); // the collector points here
      auto out = std::make_shared<collector<U>>(*keep, &port);
      return dataflow::push_fn<T>([f, out, keep](const T& x, int64_t t) {
        out->time(t);
        f(x, *out);
      });
    });
  }

  /// Gives every value the event time `timestamp(const T&)` (ms, a function
  /// or member pointer) and emits watermarks that trail the highest time seen
  /// by `max_out_of_orderness` (Flink's bounded out-of-orderness strategy):
  /// `watermark = max_time_seen - max_out_of_orderness - 1`.
  template <class F>
  stream<T> with_timestamps(F timestamp, std::chrono::milliseconds max_out_of_orderness) {
    auto delay = static_cast<int64_t>(max_out_of_orderness.count());
    return then<T>([timestamp, delay](const dataflow::push_fn<T>& next,
                                      dataflow::output_port& port) {
      auto highest = std::make_shared<int64_t>(min_time);
      return dataflow::push_fn<T>([timestamp, delay, next, highest, &port](const T& x, int64_t) {
        auto t = static_cast<int64_t>(std::invoke(timestamp, x));
        next(x, t);
        if (t > *highest) {
          *highest = t;
          port.propose_watermark(t - delay - 1);
        }
      });
    });
  }

  /// Partitions the stream by `key(const T&)` (a function or member pointer).
  template <class F>
  auto key_by(F key) {
    using K = std::decay_t<std::invoke_result_t<F&, const T&>>;
    keyed_stream<K, T> ks;
    ks.job_ = job_;
    ks.attach_ = attach_;
    ks.producer_ = producer_;
    ks.edge_ = edge_;
    // Appends the key's bytes straight from what `key` returns: no copy of a
    // key it returns by reference.
    ks.key_bytes_ = [key](const T& x, std::string& out) { append_key_bytes(out, std::invoke(key, x)); };
    return ks;
  }

  /// Ends the stream in `s`, which the runtime may run as up to
  /// `s->max_instances()` instances (eddy::sink).
  void sink(std::unique_ptr<eddy::sink<T>> s);

  /// The values written to side output `tag` by the stage that produces this
  /// stream (its keyed function's `ctx.output`, or a flat_map step's
  /// `out.output`), as a stream of their own.
  template <class U>
  stream<U> side_output(const eddy::side_output<U>& tag);

  /// Sets the parallelism (instances, each owning a contiguous range of key
  /// groups) of the keyed operator whose output this stream is; by default
  /// the job's `--parallelism`.
  stream<T>& parallelism(uint32_t n);

  /// Gives the operator this stream leaves (process() or process_events())
  /// a stable id (Flink's `uid`): savepoints key its state by it, so an
  /// upgraded job finds it again after operators were added, removed or
  /// renamed. Without one, the operator's id is its name (its type's name).
  stream<T>& uid(std::string id);

private:
  template <class U, class MakeStep>
  stream<U> then(MakeStep make_step) {
    auto prev = attach_;
    stream<U> next{job_, [prev, make_step](dataflow::chain_factory<U> down) {
                     prev([make_step, down](dataflow::output_port& port) {
                       return make_step(down(port), port);
                     });
                   }};
    next.producer_ = producer_;
    next.edge_ = edge_;
    return next;
  }

  /// The output edge this stream ends in.
  dataflow::output_edge& edge();

  template <class K, class U>
  friend class keyed_stream;
  template <class U>
  friend class stream;

  job* job_;
  std::function<void(dataflow::chain_factory<T>)> attach_;
  int keyed_stage_ = -1; ///< index of the keyed stage this stream leaves, if any
  int producer_ = -1;    ///< the stage whose chain this is: -1 the source, else a keyed stage
  uint32_t edge_ = 0;    ///< the producer's output edge this chain ends in
};

/// A dataflow job and its settings. Built in `main`, run by eddy::run().
/// Parses the framework's options from the command line and keeps the rest
/// for arg(); errors are collected and reported by eddy::run().
class job {
public:
  /// A job without command-line options (tests, benchmarks).
  explicit job(std::string name);

  /// A job whose settings come from the command line: `--state-dir DIR`,
  /// `--parallelism N`, `--max-key-groups M`, `--no-journal`,
  /// `--snapshot-every N`, `--snapshot-interval-ms T`, `--threads N`,
  /// `--log-level L`, `--log-format text|json`, `--metrics-listen HOST:PORT`,
  /// plus the job's own options read with arg().
  job(std::string name, int argc, char** argv);

  /// The value of the job's own option `--name`; records an error (reported
  /// by eddy::run) if it is missing.
  std::string arg(const std::string& name, const std::string& help = "");

  /// The value of the job's own option `--name`, or `fallback`.
  std::string arg(const std::string& name, const std::string& fallback,
                  const std::string& help);

  /// The job's own option `--name` as an integer in [min, max], or `fallback`.
  int64_t int_arg(const std::string& name, int64_t fallback, int64_t min, int64_t max,
                  const std::string& help = "");

  /// Starts the dataflow at `s`. The runtime reads each of the source's
  /// splits (eddy::source::splits) through its own reader and its own copy
  /// of the stateless steps that follow, up to the first key_by or sink.
  /// Those steps run again on replay, so they must be deterministic (no
  /// clocks, randomness or outside state; DESIGN.md invariant 4).
  template <class T>
  stream<T> source(std::unique_ptr<eddy::source<T>> s);

  job_config& config() noexcept {
    return config_;
  }
  const job_config& config() const noexcept {
    return config_;
  }
  dataflow::graph& graph() noexcept {
    return graph_;
  }
  const dataflow::graph& graph() const noexcept {
    return graph_;
  }

  /// Records a configuration error to report before anything runs.
  void fail(std::string message);

  /// Every configuration error so far, plus unknown options and a missing
  /// source or sink: what eddy::run() reports before starting.
  std::vector<std::string> problems() const;

  /// True when `--help` was given.
  bool help_requested() const noexcept {
    return help_;
  }

  /// Usage text listing the framework's and the job's options.
  std::string usage() const;

private:
  /// Reads --role and the options that go with it.
  void parse_cluster_options();

  /// Takes option `--name` out of the unclaimed ones; its value if given.
  std::optional<std::string> claim(const std::string& name, const std::string& help);

  std::string name_;
  job_config config_;
  dataflow::graph graph_;
  std::map<std::string, std::string> options_; // --name value, not yet claimed
  std::map<std::string, std::string> claimed_;
  std::vector<std::pair<std::string, std::string>> help_lines_;
  std::vector<std::string> errors_;
  bool help_ = false;
};

// -- implementation of the templates ------------------------------------------

namespace dataflow {

/// Runs one split: its reader (or the source itself, for a source without
/// splits) feeding a chain built for this runner alone.
template <class T>
class typed_source_runner final : public source_runner {
public:
  typed_source_runner(std::shared_ptr<eddy::source<T>> src, push_fn<T> chain)
    : src_(std::move(src)), chain_(std::move(chain)) {
    deliver_ = [this](const T& x) { chain_(x, 0); };
  }
  error open(std::string_view position) override {
    return src_->open(position);
  }
  expected<size_t> pump(size_t max) override {
    return src_->read(max, deliver_);
  }
  bool finished() const override {
    return src_->finished();
  }
  std::string position() const override {
    return src_->position();
  }

private:
  std::shared_ptr<eddy::source<T>> src_;
  push_fn<T> chain_;
  std::function<void(const T&)> deliver_;
};

/// Runs one instance of a sink (or the sink itself, for a single instance).
template <class T>
class typed_sink_runner final : public sink_runner {
public:
  explicit typed_sink_runner(std::shared_ptr<eddy::sink<T>> s) : sink_(std::move(s)) {
  }
  expected<std::optional<sink_marks>> open(std::string_view committed) override {
    return sink_->open(committed);
  }
  error write(const record_view& r) override {
    reader rd{r.payload};
    rd.read(value_);
    return sink_->write(static_cast<const T&>(value_));
  }
  expected<std::string> commit(const sink_marks& marks) override {
    return sink_->commit(marks);
  }

private:
  std::shared_ptr<eddy::sink<T>> sink_;
  stored_t<T> value_{};
};

/// The end of a chain that feeds a keyed stage: computes the key bytes and
/// key group and hands key, time and payload to the port.
template <class T>
push_fn<T> keyed_terminal(output_port& port, uint32_t edge,
                          std::function<void(const T&, std::string&)> key_bytes, uint32_t max_kg) {
  auto key_buf = std::make_shared<std::string>();
  auto payload_buf = std::make_shared<std::string>();
  return [&port, edge, key_bytes, max_kg, key_buf, payload_buf](const T& x, int64_t t) {
    key_buf->clear();
    payload_buf->clear();
    key_bytes(x, *key_buf);
    encode_into(*payload_buf, x);
    port.push(edge, key_group_of(*key_buf, max_kg), *key_buf, t, *payload_buf);
  };
}

} // namespace dataflow

template <class T>
stream<T> job::source(std::unique_ptr<eddy::source<T>> s) {
  std::shared_ptr<eddy::source<T>> src = std::move(s);
  auto chain = std::make_shared<dataflow::chain_factory<T>>();
  graph_.source = std::make_unique<dataflow::source_stage>();
  graph_.source->name = src->name();
  graph_.source->check = [src] { return src->check(); };
  graph_.source->splits = [src](uint32_t desired) { return src->splits(desired); };
  graph_.source->make_runner = [this, src, chain](dataflow::output_port& port,
                                                  const std::string& split)
    -> expected<std::unique_ptr<dataflow::source_runner>> {
    if (!*chain)
      throw std::logic_error("the source's stream does not end in key_by or sink");
    auto r = src->reader(split);
    if (!r)
      return r.error();
    // No reader: the source reads its only split itself.
    std::shared_ptr<eddy::source<T>> split_source = *r ? std::move(*r) : src;
    graph_.install_sides(-1, port);
    return std::unique_ptr<dataflow::source_runner>(
      new dataflow::typed_source_runner<T>(std::move(split_source), (*chain)(port)));
  };
  return stream<T>{this, [chain](dataflow::chain_factory<T> f) { *chain = std::move(f); }};
}

template <class T>
dataflow::output_edge& stream<T>::edge() {
  return job_->graph().outputs_of(producer_)[edge_];
}

template <class T>
void stream<T>::sink(std::unique_ptr<eddy::sink<T>> s) {
  std::shared_ptr<eddy::sink<T>> snk = std::move(s);
  auto& g = job_->graph();
  auto stage = std::make_unique<dataflow::sink_stage>();
  stage->name = snk->name();
  stage->check = [snk] { return snk->check(); };
  stage->max_instances = snk->max_instances();
  stage->make_runner = [snk](uint32_t instance, uint32_t instances)
    -> expected<std::unique_ptr<dataflow::sink_runner>> {
    auto i = snk->instance(instance, instances);
    if (!i)
      return i.error();
    // No separate instance: the sink is its only instance itself.
    std::shared_ptr<eddy::sink<T>> s = *i ? std::move(*i) : snk;
    return std::unique_ptr<dataflow::sink_runner>(new dataflow::typed_sink_runner<T>(std::move(s)));
  };
  g.sinks.push_back(std::move(stage));
  edge().kind = dataflow::output_edge::sink;
  edge().index = static_cast<uint32_t>(g.sinks.size() - 1);
  attach_([e = edge_](dataflow::output_port& port) {
    auto buf = std::make_shared<std::string>();
    return dataflow::push_fn<T>([&port, e, buf](const T& x, int64_t t) {
      buf->clear();
      encode_into(*buf, x);
      port.push(e, 0, {}, t, *buf);
    });
  });
}

template <class T>
template <class U>
stream<U> stream<T>::side_output(const eddy::side_output<U>& tag) {
  auto& edges = job_->graph().outputs_of(producer_);
  auto slot = std::make_shared<dataflow::chain_factory<U>>();
  dataflow::output_edge e;
  e.side_id = tag.id();
  e.install = [slot, id = tag.id()](dataflow::output_port& port) {
    if (!*slot)
      throw std::logic_error("a side output's stream does not end in key_by or sink");
    auto push = (*slot)(port);
    port.side(id, [push](const void* value, int64_t t) { push(*static_cast<const U*>(value), t); });
  };
  edges.push_back(std::move(e));
  stream<U> out{job_, [slot](dataflow::chain_factory<U> f) { *slot = std::move(f); }};
  out.producer_ = producer_;
  out.edge_ = static_cast<uint32_t>(edges.size() - 1);
  return out;
}

template <class K, class T>
template <class Out, class MakeLogic>
stream<Out> keyed_stream<K, T>::add_stage(std::string name, MakeLogic make) {
  auto& g = job_->graph();
  auto down = std::make_shared<dataflow::chain_factory<Out>>();
  auto index = static_cast<int>(g.keyed.size());
  dataflow::keyed_stage stage;
  stage.name = std::move(name);
  stage.parse_key = dataflow::key_parser_of<K>();
  stage.key_type = dataflow::key_type_name<K>();
  stage.make_logic = [j = job_, index, down, make](dataflow::output_port& port) {
    if (!*down)
      throw std::logic_error("a keyed stage's output does not end in key_by or sink");
    j->graph().install_sides(index, port);
    return make((*down)(port), port);
  };
  g.keyed.push_back(std::move(stage));
  auto& feeding = g.outputs_of(producer_)[edge_];
  feeding.kind = dataflow::output_edge::keyed;
  feeding.index = static_cast<uint32_t>(index);
  auto key_bytes = key_bytes_;
  auto max_kg = &job_->config().max_key_groups; // read when the chain is built
  attach_([e = edge_, key_bytes, max_kg](dataflow::output_port& port) {
    return dataflow::keyed_terminal<T>(port, e, key_bytes, *max_kg);
  });
  stream<Out> out{job_, [down](dataflow::chain_factory<Out> f) { *down = std::move(f); }};
  out.keyed_stage_ = index;
  out.producer_ = index;
  out.edge_ = 0;
  return out;
}

template <class T>
stream<T>& stream<T>::parallelism(uint32_t n) {
  auto& cfg = job_->config();
  if (keyed_stage_ < 0)
    job_->fail("parallelism() applies to the output of process() or process_events()");
  else if (n < 1 || n > cfg.max_key_groups)
    job_->fail("parallelism " + std::to_string(n) + " of operator "
               + job_->graph().keyed[keyed_stage_].name + " is out of range 1.."
               + std::to_string(cfg.max_key_groups));
  else
    job_->graph().keyed[keyed_stage_].parallelism = n;
  return *this;
}

template <class T>
stream<T>& stream<T>::uid(std::string id) {
  if (keyed_stage_ < 0)
    job_->fail("uid() applies to the output of process() or process_events()");
  else if (id.empty())
    job_->fail("uid() of operator " + job_->graph().keyed[keyed_stage_].name + " is empty");
  else
    job_->graph().keyed[keyed_stage_].uid = std::move(id);
  return *this;
}

template <class K, class T>
template <class F, class... Args>
auto keyed_stream<K, T>::process(Args... args) {
  using Out = typename dataflow::process_output<F>::type;
  return add_stage<Out>(dataflow::type_name<F>(), [args...](dataflow::push_fn<Out> next,
                                                            dataflow::output_port& port) {
    return std::unique_ptr<dataflow::partition_logic>(
      new dataflow::process_logic<F, T, Out>(std::move(next), port, args...));
  });
}

template <class K, class T>
template <class B, class... Args>
auto keyed_stream<K, T>::process_events(Args... args) {
  using Out = typename dataflow::behavior_types<B>::output;
  return add_stage<Out>(dataflow::type_name<B>(), [args...](dataflow::push_fn<Out> next,
                                                            dataflow::output_port& port) {
    return std::unique_ptr<dataflow::partition_logic>(
      new dataflow::event_sourced_logic<B, T>(std::move(next), port, args...));
  });
}

} // namespace eddy
