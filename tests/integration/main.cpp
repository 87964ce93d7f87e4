// Integration tests run the real privbind as root. Without root they cannot test anything real,
// so the whole binary reports a skip to CTest (exit 77) and says why.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "support.h"

namespace {

// Counts the test cases that really ran, so that a suite filter matching nothing (a renamed
// suite, a file left out of the build) fails instead of passing with zero tests.
std::atomic<int> casesRun{0};
int casesFailed = 0;
std::string currentCase;
std::vector<std::pair<std::string, std::string>> skipped;  // test case, reason

struct CountingListener : doctest::IReporter {
  explicit CountingListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    casesFailed = stats.numTestCasesFailed;
  }
  void test_case_start(const doctest::TestCaseData& tc) override {
    ++casesRun;
    currentCase = tc.m_name;
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("privbind-count", 1, CountingListener);

namespace testsupport {

void recordSkip(const std::string& reason) {
  skipped.emplace_back(currentCase, reason);
  std::printf("SKIPPED: %s: %s\n", currentCase.c_str(), reason.c_str());
}

}  // namespace testsupport

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::printf(
        "SKIPPED: integration tests need root (they setuid, setcap and bind ports "
        "below 1024); run them with sudo\n");
    return 77;
  }
  signal(SIGPIPE, SIG_IGN);
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (context.shouldExit()) return rc;  // --help, --list-test-cases and the like
  if (rc == 0 && casesRun == 0) {
    std::printf(
        "FAILED: no test case matched the filter; a suite that runs nothing proves "
        "nothing\n");
    return 1;
  }
  // doctest counts a test case that returned early as passed; a skip is not a pass. List each
  // skip with its reason, and let CTest report a suite that skipped everything as skipped.
  const int nSkipped = static_cast<int>(skipped.size());
  for (const auto& [name, reason] : skipped)
    std::printf("skipped: %s: %s\n", name.c_str(), reason.c_str());
  std::printf("integration: %d passed, %d failed, %d skipped\n", casesRun - casesFailed - nSkipped,
              casesFailed, nSkipped);
  if (rc == 0 && nSkipped == casesRun) return 77;
  return rc;
}
