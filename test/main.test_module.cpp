// The one translation unit per test binary that defines the Boost.Test module.
#define BOOST_TEST_MODULE eddy
#include <boost/test/unit_test.hpp>
