// wordcount (--input FILE | --follow PATH) (--output FILE | --parts DIR) --state-dir DIR [--parallelism N] [--max-key-groups M]
//
// Counts words exactly once: for every occurrence of a word it writes
// "word<TAB>count so far". Killed at any moment and run again with the same
// arguments, it resumes and completes; run again after completion, it adds nothing.

#include "eddy/actors/run.hpp"
#include "wordcount.hpp"

int main(int argc, char** argv) {
  eddy::job job{"wordcount", argc, argv};
  auto input = job.arg("input", "", "FILE   text to count");
  auto follow = job.arg("follow", "",
                        "PATH   instead of --input: a file or directory to follow as it grows (runs until "
                        "stopped, e.g. with a savepoint)");
  if (input.empty() == follow.empty())
    job.fail("give exactly one of --input FILE and --follow PATH");
  auto output = job.arg("output", "", "FILE   where 'word<TAB>count' lines go");
  auto parts = job.arg("parts", "",
                       "DIR    instead of --output: one part file per sink instance in DIR "
                       "(DIR/part-00000, ..., as many as --parallelism on the first run)");
  if (output.empty() == parts.empty())
    job.fail("give exactly one of --output FILE and --parts DIR");
  else
    wordcount::build(job, {input.empty() ? follow : input, !follow.empty()}, output.empty() ? wordcount::target{parts, true} : wordcount::target{output, false});
  return eddy::run(job);
}
