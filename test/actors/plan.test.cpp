// The plan: every node of a (future) cluster computes it from the job graph
// and its settings alone, so the same inputs must give the same plan, and
// its indexes, instances, exchanges and flat consumer indexes must agree
// with each other for every shape and size of job.

#include "plan.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/support/graphs.hpp"

using namespace eddy;
using eddy::actors::stage_plan;

namespace {

using graph_maker = dataflow::graph (*)();

/// Everything a plan answers, as text: two plans that answer alike print alike.
std::string describe(const actors::plan& p) {
  std::ostringstream out;
  out << "keyed " << p.keyed_stages() << ", exchanges " << p.exchanges() << "\n";
  for (uint32_t s = 0; s < p.stages().size(); ++s) {
    auto& st = p.stage(s);
    out << s << " " << int{st.kind} << " " << st.name << " indexes " << st.indexes << " instances "
        << st.instances << " producer " << st.producer << " flat " << st.flat_size << "\n";
    for (auto& e : st.outputs)
      out << "  edge to " << e.stage << " at " << e.first << "\n";
    for (uint32_t i = 0; i < st.instances; ++i) {
      auto r = p.indexes_of(s, i);
      out << "  instance " << i << " exchange " << p.exchange_id(s, i) << " [" << r.first << ", "
          << r.last << "]\n";
    }
    for (uint32_t index = 0; index < st.indexes; ++index)
      out << "  index " << index << " on " << p.instance_of(s, index) << "\n";
    for (uint32_t flat = 0; flat < st.flat_size; ++flat) {
      auto c = p.consumer(s, flat);
      out << "  flat " << flat << " -> " << c.stage << "/" << c.index << "#" << c.instance << "\n";
    }
  }
  return out.str();
}

struct setting {
  uint32_t key_groups;
  uint32_t parallelism;
};

/// Key-group counts and parallelisms worth checking: one group, fewer groups
/// than instances, counts not divisible by the parallelism, the default
/// 128 and 1024.
const std::vector<setting> settings
    = {{1, 1},   {1, 3},   {2, 4},     {7, 2},    {10, 3},   {10, 4},   {128, 1},
       {128, 3}, {128, 7}, {128, 128}, {1024, 1}, {1024, 5}, {1024, 16}};

dataflow::graph two_keyed() {
  return test::chain(2);
}
dataflow::graph three_keyed_own_parallelism() {
  return test::chain(3, {0, 2, 5});
}
dataflow::graph source_to_sink() {
  return test::chain(0);
}

const std::vector<graph_maker> graphs
    = {two_keyed, three_keyed_own_parallelism, source_to_sink, test::with_side_outputs};

/// Calls `fn(plan)` for every graph and setting, with a context naming them.
template <class F>
void for_every_plan(F fn) {
  for (size_t g = 0; g < graphs.size(); ++g) {
    for (auto& s : settings) {
      BOOST_TEST_CONTEXT("graph " << g << ", " << s.key_groups << " key groups, parallelism "
                                  << s.parallelism) {
        auto graph = graphs[g]();
        fn(actors::plan::of(graph, s.key_groups, s.parallelism), s);
      }
    }
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(plan)

BOOST_AUTO_TEST_CASE(the_same_graph_and_settings_give_the_same_plan_every_time) {
  for (size_t g = 0; g < graphs.size(); ++g) {
    for (auto& s : settings) {
      // Two nodes build the graph each from the same job and compute the plan each.
      auto on_one = graphs[g]();
      auto on_other = graphs[g]();
      auto a = describe(actors::plan::of(on_one, s.key_groups, s.parallelism));
      auto b = describe(actors::plan::of(on_other, s.key_groups, s.parallelism));
      auto c = describe(actors::plan::of(on_one, s.key_groups, s.parallelism));
      BOOST_TEST(a == b);
      BOOST_TEST(a == c);
    }
  }
}

BOOST_AUTO_TEST_CASE(stages_are_the_source_then_the_keyed_operators_then_the_sinks) {
  auto g = test::with_side_outputs();
  auto p = actors::plan::of(g, 128, 3);
  BOOST_TEST_REQUIRE(p.stages().size() == 5u);
  BOOST_TEST(p.keyed_stages() == 1u);
  BOOST_TEST(p.stage(0).kind == stage_plan::source);
  BOOST_TEST(p.stage(0).name == "lines");
  BOOST_TEST(p.stage(1).kind == stage_plan::keyed);
  BOOST_TEST(p.stage(1).name == "window");
  for (uint32_t k = 0; k < 3; ++k) {
    BOOST_TEST(p.sink_stage(k) == 2 + k);
    BOOST_TEST(p.stage(p.sink_stage(k)).kind == stage_plan::sink);
    BOOST_TEST(p.stage(p.sink_stage(k)).name == g.sinks[k]->name);
  }
  // Each stage names the one stage feeding it.
  BOOST_TEST(p.stage(0).producer == -1);
  BOOST_TEST(p.stage(1).producer == 0);
  BOOST_TEST(p.stage(2).producer == 0); // dead letters: the source's side output
  BOOST_TEST(p.stage(3).producer == 1);
  BOOST_TEST(p.stage(4).producer == 1);
}

BOOST_AUTO_TEST_CASE(
    a_keyed_stage_has_a_key_group_per_index_and_at_most_one_instance_per_key_group) {
  for_every_plan([](const actors::plan& p, const setting& s) {
    for (uint32_t k = 1; k <= p.keyed_stages(); ++k) {
      BOOST_TEST(p.stage(k).indexes == s.key_groups);
      BOOST_TEST(p.stage(k).instances >= 1u);
      BOOST_TEST(p.stage(k).instances <= s.key_groups);
    }
  });
  auto g = test::chain(3, {0, 2, 5});
  auto p = actors::plan::of(g, 128, 3);
  BOOST_TEST(p.stage(1).instances == 3u); // the job's parallelism
  BOOST_TEST(p.stage(2).instances == 2u); // its own
  BOOST_TEST(p.stage(3).instances == 5u);
  auto few = actors::plan::of(g, 4, 3);
  BOOST_TEST(few.stage(3).instances == 4u); // capped at the key groups
}

BOOST_AUTO_TEST_CASE(only_a_keyed_stage_whose_outputs_all_go_to_keyed_stages_feeds_only_keyed_stages) {
  auto chained = test::chain(3);
  auto p = actors::plan::of(chained, 128, 2);
  BOOST_TEST(p.feeds_only_keyed_stages(1));
  BOOST_TEST(p.feeds_only_keyed_stages(2));
  BOOST_TEST(!p.feeds_only_keyed_stages(3)); // into the sink
  auto sides = test::with_side_outputs();
  BOOST_TEST(!actors::plan::of(sides, 128, 2).feeds_only_keyed_stages(1)); // side outputs to sinks
}

BOOST_AUTO_TEST_CASE(instances_own_contiguous_ranges_that_cover_every_index_once) {
  for_every_plan([](const actors::plan& p, const setting&) {
    for (uint32_t s = 0; s < p.stages().size(); ++s) {
      auto& st = p.stage(s);
      uint32_t next = 0;
      uint32_t smallest = st.indexes;
      uint32_t largest = 0;
      for (uint32_t i = 0; i < st.instances; ++i) {
        auto r = p.indexes_of(s, i);
        BOOST_TEST_REQUIRE(r.size() > 0u);
        BOOST_TEST(r.first == next); // contiguous, in instance order
        for (auto index = r.first; index <= r.last; ++index)
          BOOST_TEST(p.instance_of(s, index) == i);
        next = r.last + 1;
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
      }
      BOOST_TEST(next == st.indexes);
      BOOST_TEST(largest - smallest <= 1u); // Flink's ranges: as even as they can be
    }
  });
}

BOOST_AUTO_TEST_CASE(exchange_ids_number_every_instance_of_every_stage_once_in_stage_order) {
  for_every_plan([](const actors::plan& p, const setting&) {
    uint32_t next = 0;
    for (uint32_t s = 0; s < p.stages().size(); ++s)
      for (uint32_t i = 0; i < p.stage(s).instances; ++i)
        BOOST_TEST(p.exchange_id(s, i) == next++);
    BOOST_TEST(p.exchanges() == next);
  });
}

BOOST_AUTO_TEST_CASE(flat_consumer_indexes_cover_every_output_edge_once_main_output_first) {
  for_every_plan([](const actors::plan& p, const setting&) {
    for (uint32_t s = 0; s < p.stages().size(); ++s) {
      auto& st = p.stage(s);
      uint32_t first = 0;
      for (auto& e : st.outputs) {
        BOOST_TEST(e.first == first);
        BOOST_TEST(p.stage(e.stage).producer == static_cast<int32_t>(s));
        for (uint32_t index = 0; index < p.stage(e.stage).indexes; ++index) {
          auto c = p.consumer(s, e.first + index);
          BOOST_TEST(c.stage == e.stage);
          BOOST_TEST(c.index == index);
          BOOST_TEST(c.instance == p.instance_of(e.stage, index));
          BOOST_TEST(p.flat_of(s, e.stage, index) == e.first + index);
        }
        first += p.stage(e.stage).indexes;
      }
      BOOST_TEST(st.flat_size == first);
      BOOST_CHECK_THROW(p.consumer(s, st.flat_size), std::out_of_range);
      // A stage that is not one of its outputs, or an index past the consumer's, has no flat index.
      BOOST_TEST(p.flat_of(s, s, 0) == st.flat_size);
      for (auto& e : st.outputs)
        BOOST_TEST(p.flat_of(s, e.stage, p.stage(e.stage).indexes) == st.flat_size);
    }
  });
}

BOOST_AUTO_TEST_CASE(side_outputs_follow_the_main_output_in_the_flat_indexes) {
  auto g = test::with_side_outputs();
  auto p = actors::plan::of(g, 10, 3);
  auto& source = p.stage(0);
  BOOST_TEST_REQUIRE(source.outputs.size() == 2u);
  BOOST_TEST(source.outputs[0].stage == 1u); // the window's 10 key groups: flat 0..9
  BOOST_TEST(source.outputs[1].stage == p.sink_stage(0));
  BOOST_TEST(source.outputs[1].first == 10u); // the dead letters' one instance
  BOOST_TEST(source.flat_size == 11u);
  auto& window = p.stage(1);
  BOOST_TEST_REQUIRE(window.outputs.size() == 2u);
  BOOST_TEST(window.outputs[0].stage == p.sink_stage(1));
  BOOST_TEST(window.outputs[1].stage == p.sink_stage(2));
  BOOST_TEST(window.flat_size == 2u);
  // 10 key groups over 3 instances: 4, 3, 3 (DESIGN.md's formula).
  BOOST_TEST((p.indexes_of(1, 0) == key_group_range{0, 3}));
  BOOST_TEST((p.indexes_of(1, 1) == key_group_range{4, 6}));
  BOOST_TEST((p.indexes_of(1, 2) == key_group_range{7, 9}));
  BOOST_TEST(p.exchanges() == 1u + 3u + 3u);
  BOOST_TEST(p.exchange_id(p.sink_stage(2), 0) == 6u);
}

BOOST_AUTO_TEST_SUITE_END()
