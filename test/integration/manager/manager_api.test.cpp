// The manager's HTTP plane refuses what it cannot do right: bad input
// (unknown fields, wrong types, a binary that does not exist, a name with
// '/', STATEFUL with restore NONE) gets a 4xx with a message and changes
// nothing; bound off loopback it will not start without a token file, and
// with one every request needs the bearer token; a catalog written by a
// newer manager is refused, and one of an older schema is migrated.

#include "integration/manager/running_manager.hpp"

#include <boost/test/unit_test.hpp>

#include <httplib.h>
#include <sqlite3.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using eddy::test::keep_on_failure;
using eddy::test::running_manager;
using eddy::test::temp_dir;
using nlohmann::json;

namespace {

const std::string wordcount = EDDY_WORDCOUNT_BINARY;

struct reply {
  int status = 0;
  json body;
};

reply call(const std::string& url, const std::string& method, const std::string& path, const std::string& body = "",
           const std::string& token = "") {
  httplib::Client c{url};
  if (!token.empty())
    c.set_bearer_token_auth(token);
  auto r = method == "GET"    ? c.Get(path)
           : method == "POST" ? c.Post(path, body, "application/json")
           : method == "PATCH" ? c.Patch(path, body, "application/json")
                               : c.Delete(path);
  BOOST_REQUIRE_MESSAGE(r, method << " " << path << ": " << httplib::to_string(r.error()));
  return {r->status, json::parse(r->body, nullptr, false)};
}

json spec(const std::string& binary = wordcount) {
  return {{"binary", binary}, {"args", {"--input", "/dev/null", "--output", "/dev/null"}}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(manager_api)

BOOST_AUTO_TEST_CASE(bad_input_gets_a_4xx_with_a_message_and_changes_nothing) {
  temp_dir tmp{"eddy-manager-api"};
  keep_on_failure keep{tmp};
  running_manager m{tmp / "data"};
  BOOST_REQUIRE_MESSAGE(m.started(), m.log());
  auto post = [&](const json& body) { return call(m.url(), "POST", "/api/v1/deployments", body.dump()); };
  struct bad {
    json body;
    std::string says;
  };
  for (auto& [body, says] : std::vector<bad>{
         {{{"name", "a"}, {"spec", spec()}, {"colour", "red"}}, "unknown field 'colour'"},
         {{{"name", "a"}, {"spec", {{"binary", wordcount}, {"workerz", 2}}}}, "unknown field 'spec.workerz'"},
         {{{"name", "a"}, {"spec", {{"binary", wordcount}, {"workers", "two"}}}}, "field 'spec.workers'"},
         {{{"name", "a"}, {"spec", {{"binary", wordcount}, {"parallelism", -1}}}}, "field 'spec.parallelism'"},
         {{{"name", "a"}, {"spec", {{"binary", wordcount}, {"args", "--input x"}}}}, "field 'spec.args'"},
         {{{"name", "a"}, {"spec", spec("/no/such/binary")}}, "'/no/such/binary' is not an executable file"},
         {{{"name", "a/b"}, {"spec", spec()}}, "name 'a/b'"},
         {{{"name", 7}, {"spec", spec()}}, "field 'name'"},
         {{{"spec", spec()}}, "field 'name' is required"},
         {{{"name", "a"}, {"spec", {{"binary", wordcount}, {"args", {"--state-dir", "/tmp/x"}}}}}, "'--state-dir'"},
         {{{"name", "a"}, {"desired_state", "FLYING"}, {"spec", spec()}}, "field 'desired_state'"},
         {{{"name", "a"}, {"spec", {{"binary", wordcount}, {"restore_strategy", "NONE"}}}}, "STATEFUL needs restore"},
       }) {
    auto r = post(body);
    BOOST_TEST(r.status == 400, body.dump() << " -> " << r.status);
    BOOST_TEST(r.body["message"].get<std::string>().find(says) != std::string::npos,
               body.dump() << " -> " << r.body.dump());
  }
  auto not_json = call(m.url(), "POST", "/api/v1/deployments", "{nope");
  BOOST_TEST(not_json.status == 400);
  BOOST_TEST(not_json.body["message"].get<std::string>().find("not JSON") != std::string::npos);
  BOOST_TEST(call(m.url(), "GET", "/api/v1/deployments").body.size() == 0u); // nothing was created

  // A deployment that exists: bad changes leave it as it was.
  auto created = post({{"name", "a"}, {"desired_state", "SUSPENDED"}, {"spec", spec()}});
  BOOST_REQUIRE_EQUAL(created.status, 201);
  BOOST_TEST(post({{"name", "a"}, {"spec", spec()}}).status == 409);
  auto patched = call(m.url(), "PATCH", "/api/v1/deployments/a", json{{"spec", {{"workers", 0}}}}.dump());
  BOOST_TEST(patched.status == 400);
  BOOST_TEST(call(m.url(), "PATCH", "/api/v1/deployments/a", json{{"rename", "b"}}.dump()).status == 400);
  BOOST_TEST(call(m.url(), "GET", "/api/v1/deployments/a").body["spec_version"] == 1);
  BOOST_TEST(call(m.url(), "GET", "/api/v1/deployments/nope").status == 404);
  BOOST_TEST(call(m.url(), "POST", "/api/v1/deployments/a/savepoints").status == 409); // nothing runs
  BOOST_TEST(call(m.url(), "DELETE", "/api/v1/deployments/a").status == 409);          // not cancelled
  BOOST_TEST(call(m.url(), "GET", "/api/v1/savepoints/x1").status == 404);
  BOOST_TEST(call(m.url(), "GET", "/api/v1/no/such/thing").status == 404);
  // The CLI: 2 on bad usage and on input the manager calls bad, 1 when the operation fails.
  BOOST_TEST(m.eddy({"deploy", "b"}).status.exited_with(2));
  BOOST_TEST(m.eddy({"deploy", "b", "--", "/no/such/binary"}).status.exited_with(2));
  BOOST_TEST(m.eddy({"status", "nope"}).status.exited_with(1));
  BOOST_TEST(m.eddy({"frobnicate"}).status.exited_with(2));
}

BOOST_AUTO_TEST_CASE(bound_off_loopback_the_manager_needs_a_token_file_and_then_every_request_needs_the_token) {
  temp_dir tmp{"eddy-manager-token"};
  keep_on_failure keep{tmp};
  auto refused = eddy::test::run({eddy::test::manager_binary, "--data", (tmp / "d0").string(), "--listen", "0.0.0.0:0"},
                                 tmp / "refused.out", tmp / "refused.err", 20s);
  BOOST_TEST(refused.exited_with(2));
  BOOST_TEST(eddy::test::slurp(tmp / "refused.err").find("--token-file") != std::string::npos);

  std::ofstream{tmp / "token"} << "s3cret-token\n";
  running_manager m{tmp / "data", {"--listen", "0.0.0.0:0", "--token-file", (tmp / "token").string()}};
  BOOST_REQUIRE_MESSAGE(m.started(), m.log());
  auto port = m.url().substr(m.url().rfind(':'));
  auto url = "http://127.0.0.1" + port;
  BOOST_TEST(call(url, "GET", "/api/v1/deployments").status == 401);
  BOOST_TEST(call(url, "GET", "/api/v1/deployments", "", "wrong").status == 401);
  BOOST_TEST(call(url, "POST", "/api/v1/deployments", json{{"name", "a"}, {"spec", spec()}}.dump()).status == 401);
  BOOST_TEST(call(url, "GET", "/api/v1/deployments", "", "s3cret-token").status == 200);
  BOOST_TEST(call(url, "GET", "/api/v1/deployments", "", "s3cret-token").body.size() == 0u); // the POST did nothing
  ::setenv("EDDY_TOKEN", "s3cret-token", 1);
  auto listed = m.eddy_via(url, {"list"});
  ::unsetenv("EDDY_TOKEN");
  BOOST_TEST(listed.ok(), listed.err);
  BOOST_TEST(m.eddy_via(url, {"list"}).status.exited_with(1));
}

BOOST_AUTO_TEST_CASE(a_catalog_of_an_older_schema_is_migrated_and_one_of_a_newer_schema_is_refused) {
  temp_dir tmp{"eddy-manager-catalog"};
  keep_on_failure keep{tmp};
  auto set_version = [&](const fs::path& data, int version) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open((data / "catalog.db").c_str(), &db) == SQLITE_OK);
    auto sql = "UPDATE schema_version SET version = " + std::to_string(version);
    BOOST_REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    if (version == 1) // as a version-1 catalog was: without migration 2's indexes
      sqlite3_exec(db, "DROP INDEX events_by_deployment; DROP INDEX savepoints_by_deployment", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  };
  {
    running_manager m{tmp / "data"};
    BOOST_REQUIRE_MESSAGE(m.started(), m.log());
    BOOST_TEST(call(m.url(), "POST", "/api/v1/deployments",
                    json{{"name", "kept"}, {"desired_state", "SUSPENDED"}, {"spec", spec()}}.dump()).status == 201);
  }
  set_version(tmp / "data", 1);
  {
    running_manager m{tmp / "data"};
    BOOST_REQUIRE_MESSAGE(m.started(), m.log());
    auto health = call(m.url(), "GET", "/api/v1/health");
    BOOST_TEST(health.body["catalog_schema_version"] == 2);
    BOOST_TEST(call(m.url(), "GET", "/api/v1/deployments/kept").status == 200);
  }
  set_version(tmp / "data", 99);
  auto refused = eddy::test::run({eddy::test::manager_binary, "--data", (tmp / "data").string(), "--listen", "127.0.0.1:0"},
                                 tmp / "newer.out", tmp / "newer.err", 20s);
  BOOST_TEST(refused.exited_with(2));
  BOOST_TEST(eddy::test::slurp(tmp / "newer.err").find("schema version 99, newer than") != std::string::npos,
             eddy::test::slurp(tmp / "newer.err"));
}

BOOST_AUTO_TEST_CASE(with_log_format_json_every_line_the_manager_logs_is_a_json_object) {
  temp_dir tmp{"eddy-manager-json"};
  keep_on_failure keep{tmp};
  {
    running_manager m{tmp / "data", {"--log-format", "json"}};
    BOOST_REQUIRE_MESSAGE(m.started(), m.log());
  }
  auto refused = eddy::test::run({eddy::test::manager_binary, "--data", (tmp / "data2").string(), "--listen", "0.0.0.0:0",
                                  "--log-format", "json"},
                                 tmp / "refused.out", tmp / "refused.err", 20s);
  BOOST_TEST(refused.exited_with(2));
  std::vector<std::string> lines;
  for (auto file : {tmp / "manager-1.err", tmp / "refused.err"})
    for (auto& line : eddy::test::lines_of(eddy::test::slurp(file)))
      lines.push_back(line);
  BOOST_REQUIRE(lines.size() >= 3u); // listening, stopped, refused
  std::string messages;
  for (auto& line : lines) {
    auto j = json::parse(line, nullptr, false);
    BOOST_TEST((j.is_object() && j.contains("time") && j.contains("level") && j.contains("message")), line);
    if (j.is_object())
      messages += j.value("message", "") + "\n";
  }
  BOOST_TEST(messages.find("listening on http://127.0.0.1:") != std::string::npos, messages);
  BOOST_TEST(messages.find("--token-file") != std::string::npos, messages);
}

BOOST_AUTO_TEST_SUITE_END()
