// A deployment's spec from JSON: fields not given keep their value, unknown
// fields, wrong types and out-of-range values are refused naming the field,
// and checks refuse what cannot run.

#include <boost/test/unit_test.hpp>

#include "deployment_spec.hpp"

using namespace eddy::manager;
using nlohmann::json;

namespace {

std::string refusal(const json& patch) {
  try {
    check_spec(apply_spec({}, patch));
  } catch (const spec_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(manager_spec)

BOOST_AUTO_TEST_CASE(a_patch_changes_only_the_fields_it_names_and_the_json_round_trips) {
  auto spec = apply_spec({}, json{{"binary", "/bin/true"}, {"args", {"--input", "x"}}, {"workers", 2}});
  auto patched = apply_spec(spec, json{{"parallelism", 4}, {"restart_policy", {{"max_restarts", 7}}}});
  BOOST_TEST(patched.binary == "/bin/true");
  BOOST_TEST(patched.workers == 2u);
  BOOST_TEST(patched.parallelism == 4u);
  BOOST_TEST(patched.restart.max_restarts == 7u);
  BOOST_TEST(patched.restart.on_failure);
  BOOST_TEST(to_json(apply_spec({}, to_json(patched))) == to_json(patched));
  BOOST_TEST(patched.same_job(spec));
  BOOST_TEST(!apply_spec(spec, json{{"args", json::array()}}).same_job(spec));
}

BOOST_AUTO_TEST_CASE(bad_fields_are_refused_with_the_field_named) {
  BOOST_TEST(refusal({{"binary", "/bin/true"}}) == "");
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"colour", 1}}).find("unknown field 'spec.colour'") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"workers", 0}}).find("'spec.workers'") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"workers", 2.5}}).find("'spec.workers'") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"upgrade_strategy", "SOMETIMES"}}).find("STATEFUL, STATELESS") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"restart_policy", {{"type", "ALWAYS"}}}}).find("ON_FAILURE, NEVER") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "true"}}).find("not an absolute path") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/etc/passwd"}}).find("not an executable file") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"args", {"--parallelism=3"}}}).find("use field 'spec.parallelism'") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"args", {"--role", "worker"}}}).find("'--role'") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"restore_strategy", "NONE"}}).find("STATEFUL needs") != std::string::npos);
  BOOST_TEST(refusal({{"binary", "/bin/true"}, {"restore_strategy", "NONE"}, {"upgrade_strategy", "STATELESS"}}) == "");
}

BOOST_AUTO_TEST_CASE(a_name_must_be_usable_as_a_directory_and_in_a_url) {
  for (auto good : {"wc", "a-b_c.d", "0x"})
    BOOST_CHECK_NO_THROW(check_name(good));
  for (auto bad : {"", "a/b", "..", "-x", "Big", "a b", std::string(64, 'a').c_str()})
    BOOST_CHECK_THROW(check_name(bad), spec_error);
}

BOOST_AUTO_TEST_SUITE_END()
