// core/file: AtomicFile onto a device or FIFO writes into it instead of renaming a regular file
// over it (`explain -o /dev/null` run as root replaced /dev/null with a regular file).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <string>

#include "core/error.h"
#include "core/file.h"
#include "tests/catch.h"
#include "tests/helpers.h"

using namespace textlrp;
namespace fs = std::filesystem;

TEST_CASE("AtomicFile: a FIFO target is written into and stays a FIFO", "[core][file]") {
  test::TempDir tmp;
  const fs::path fifo = tmp / "pipe";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // The reader opens the FIFO in a thread (opening blocks until both ends are open).
  auto read_all = std::async(std::launch::async, [&] {
    std::ifstream in(fifo, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  });
  {
    Output out(fifo.string());
    out.write("hello ");
    out.write("fifo\n");
    out.commit();
  }
  CHECK(read_all.get() == "hello fifo\n");
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  for (const auto& e : fs::directory_iterator(tmp.path())) CHECK(e.path() == fifo);  // no temporary file left
}

TEST_CASE("AtomicFile: a regular file is still replaced atomically", "[core][file]") {
  test::TempDir tmp;
  const fs::path file = tmp / "out.txt";
  test::write_bytes(file, "old\n");
  {
    AtomicFile f(file);
    f.write("new\n");
    // Not committed: the old content stays.
  }
  CHECK(read_file(file) == "old\n");
  write_file_atomic(file, "new\n");
  CHECK(read_file(file) == "new\n");
  CHECK(fs::is_regular_file(fs::symlink_status(file)));
}
