#include "bodies.hpp"

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <map>
#include <memory>

#include <xxhash.h>

#include "eddy/codec.hpp"
#include "savepoint/durable_file.hpp"

namespace eddy::actors::savepoint {

namespace fs = std::filesystem;

namespace {

std::string encode_image(const image& img) {
  std::string out;
  writer w{out};
  w.varint(img.snapshot_seq);
  w.write(img.snapshot);
  w.varint(img.entries.size());
  for (auto& [seq, body] : img.entries) {
    w.varint(seq);
    w.write(body);
  }
  return out;
}

image decode_image(std::string_view bytes) {
  reader r{bytes};
  image img;
  img.snapshot_seq = r.varint();
  img.snapshot = r.read<std::string>();
  auto n = r.varint();
  for (uint64_t i = 0; i < n; ++i) {
    auto seq = r.varint();
    img.entries.emplace_back(seq, r.read<std::string>());
  }
  if (!r.at_end())
    throw decode_error{"bytes after the image"};
  return img;
}

} // namespace

expected<fs::path> copy_journal(const fs::path& file, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec)
    return error{errc::io, "cannot create '" + to.string() + "': " + ec.message()};
  auto copy = to / file.filename();
  for (auto suffix : {"", "-wal"}) {
    fs::path from = file.string() + suffix;
    if (!fs::exists(from, ec))
      continue;
    fs::copy_file(from, copy.string() + suffix, fs::copy_options::overwrite_existing, ec);
    if (ec)
      return error{errc::io, "cannot copy the journal '" + from.string() + "': " + ec.message()};
  }
  return copy;
}

expected<std::vector<body_ref>> write_bodies(const fs::path& journal_file, const fs::path& dir,
                                             const std::string& file) {
  journal::open_options options;
  options.create = false;
  options.synchronous_full = false; // a scratch copy
  auto opened = journal::sqlite_journal::open(journal_file, options);
  if (!opened)
    return opened.error();
  auto& jn = **opened;
  auto parts = jn.partitions();
  if (!parts)
    return parts.error();
  auto path = dir / file;
  std::unique_ptr<FILE, int (*)(FILE*)> out{std::fopen(path.c_str(), "wbe"), &std::fclose};
  if (!out)
    return error{errc::io, "cannot create '" + path.string() + "'"};
  std::vector<body_ref> refs;
  uint64_t offset = 0;
  for (auto pid : *parts) {
    image img;
    auto snap = jn.load_snapshot(pid);
    if (!snap)
      return snap.error();
    if (*snap) {
      img.snapshot_seq = (*snap)->seq;
      img.snapshot = std::move((*snap)->body);
    }
    auto err = jn.replay(pid, img.snapshot_seq + 1, UINT64_MAX, [&](const journal::entry& e) {
      img.entries.emplace_back(e.seq, e.body);
      return error{};
    });
    if (err)
      return err;
    if (img.snapshot.empty() && img.entries.empty())
      continue; // acquired, never written
    auto bytes = encode_image(img);
    if (std::fwrite(bytes.data(), 1, bytes.size(), out.get()) != bytes.size())
      return error{errc::io, "cannot write '" + path.string() + "'"};
    refs.push_back({journal::stage_of(pid), journal::index_of(pid), file, offset, bytes.size(),
                    XXH64(bytes.data(), bytes.size(), 0)});
    offset += bytes.size();
  }
  if (std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0)
    return error{errc::io, "cannot write '" + path.string() + "'"};
  return refs;
}

error verify_bodies(const fs::path& dir, const std::vector<body_ref>& refs) {
  std::map<std::string, std::vector<const body_ref*>> by_file;
  for (auto& r : refs)
    by_file[r.file].push_back(&r);
  auto where = "savepoint '" + dir.string() + "'";
  std::string bytes;
  for (auto& [file, list] : by_file) {
    std::ifstream in{dir / file, std::ios::binary};
    if (!in)
      return error{errc::corrupt, where + " is missing its body file '" + file + "'"};
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
    for (auto* ref : list) {
      bytes.resize(ref->size);
      in.seekg(static_cast<std::streamoff>(ref->offset));
      in.read(bytes.data(), static_cast<std::streamsize>(ref->size));
      if (static_cast<uint64_t>(in.gcount()) != ref->size)
        return error{errc::corrupt, where + " is truncated: '" + file + "' ends before the image of stage "
                                      + std::to_string(ref->stage) + " index " + std::to_string(ref->index)};
      if (XXH64(bytes.data(), bytes.size(), 0) != ref->xxh64)
        return error{errc::corrupt, where + " is corrupt: the image of stage " + std::to_string(ref->stage) + " index "
                                      + std::to_string(ref->index) + " in '" + file + "' fails its checksum"};
    }
  }
  return {};
}

expected<image> read_image(const fs::path& dir, const body_ref& ref) {
  auto path = dir / ref.file;
  auto where = "savepoint '" + dir.string() + "'";
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return error{errc::corrupt, where + " is missing its body file '" + ref.file + "'"};
  std::string bytes(ref.size, '\0');
  in.seekg(static_cast<std::streamoff>(ref.offset));
  in.read(bytes.data(), static_cast<std::streamsize>(ref.size));
  if (static_cast<uint64_t>(in.gcount()) != ref.size)
    return error{errc::corrupt, where + " is truncated: '" + ref.file + "' ends before the image of stage "
                                  + std::to_string(ref.stage) + " index " + std::to_string(ref.index)};
  if (XXH64(bytes.data(), bytes.size(), 0) != ref.xxh64)
    return error{errc::corrupt, where + " is corrupt: the image of stage " + std::to_string(ref.stage) + " index "
                                  + std::to_string(ref.index) + " in '" + ref.file + "' fails its checksum"};
  try {
    return decode_image(bytes);
  } catch (const std::exception& e) {
    return error{errc::corrupt, where + " is corrupt: the image of stage " + std::to_string(ref.stage)
                                  + " index " + std::to_string(ref.index) + " does not decode: " + e.what()};
  }
}

void stage_image(journal::sqlite_journal& jn, journal::partition_id pid, const image& img) {
  if (!img.snapshot.empty())
    jn.stage_snapshot(pid, 0, img.snapshot_seq, img.snapshot);
  for (auto& [seq, body] : img.entries)
    jn.stage_append(pid, 0, seq, body);
}

} // namespace eddy::actors::savepoint
