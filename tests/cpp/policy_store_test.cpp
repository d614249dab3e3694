// The file policy store: every change durable at once as one journal line, the file folded
// up to date now and then, and what a crash leaves behind read back correctly.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "libvtap/model/error.hpp"
#include "libvtap/model/json.hpp"
#include "libvtap/service/policy_store.hpp"

namespace vtap {
namespace {

TapPolicy numbered(std::uint32_t id) {
  TapPolicy p;
  p.id = id;
  p.sender = Endpoint{MacAddress::parse("fa:00:00:00:00:01"), std::nullopt, false};
  p.receiver = Endpoint{MacAddress::parse("fa:00:00:00:00:02"), std::nullopt, false};
  p.monitor = Endpoint{MacAddress::parse("fa:00:00:00:00:03"), std::nullopt, false};
  p.filter = Match::parse("tcp,tp_dst=" + std::to_string(id));
  return p;
}

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vtap-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    file_ = dir_ / "policies.json";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::size_t journal_lines() const {
    std::ifstream in(file_.string() + ".journal");
    return static_cast<std::size_t>(std::count(std::istreambuf_iterator<char>(in), {}, '\n'));
  }
  std::filesystem::path dir_, file_;
};

TEST_F(PolicyStoreTest, SmallSetsKeepACompleteFileAfterEveryChange) {
  auto store = make_file_store(file_);
  EXPECT_TRUE(store->load().empty());
  const TapPolicy p1 = numbered(1), p2 = numbered(2);
  store->record(1, &p1);
  store->record(2, &p2);
  EXPECT_EQ(load_policies(file_), (std::vector<TapPolicy>{p1, p2}));
  store->record(1, nullptr);
  EXPECT_EQ(load_policies(file_), std::vector<TapPolicy>{p2});
  EXPECT_EQ(journal_lines(), 0U);
}

TEST_F(PolicyStoreTest, LargeSetsAppendOneJournalLinePerChangeAndFoldItInNowAndThen) {
  std::vector<TapPolicy> many;
  for (std::uint32_t id = 1; id <= 800; ++id) many.push_back(numbered(id));
  {
    auto store = make_file_store(file_);
    store->save(many);
    const auto size = std::filesystem::file_size(file_);
    const TapPolicy extra = numbered(900);
    store->record(900, &extra);
    store->record(5, nullptr);
    EXPECT_EQ(std::filesystem::file_size(file_), size) << "the file was rewritten for one change";
    EXPECT_EQ(journal_lines(), 2U);
    // More than an eighth of the set: folded into the file.
    for (std::uint32_t id = 1000; id < 1150; ++id) {
      const TapPolicy p = numbered(id);
      store->record(id, &p);
    }
    EXPECT_LT(journal_lines(), 100U);
    EXPECT_GT(load_policies(file_).size(), 800U);
  }
  // Destroying the store folds what is left: the file alone is the whole set.
  EXPECT_EQ(journal_lines(), 0U);
  EXPECT_EQ(load_policies(file_).size(), 950U);
}

TEST_F(PolicyStoreTest, AfterACrashTheJournalIsReplayedATornLastLineIgnoredAndACorruptOneNamed) {
  std::vector<TapPolicy> many;
  for (std::uint32_t id = 1; id <= 100; ++id) many.push_back(numbered(id));
  make_file_store(file_)->save(many);
  const TapPolicy changed = numbered(200);
  {
    std::ofstream journal(file_.string() + ".journal");
    journal << "{\"remove\": 3}\n{\"put\": " << nlohmann::json(changed).dump() << "}\n"
            << "{\"put\": {\"id\": 7, \"sender\"";  // the crash came in the middle of this append
  }
  auto loaded = make_file_store(file_)->load();
  EXPECT_EQ(loaded.size(), 100U);
  EXPECT_EQ(loaded.back(), changed);
  EXPECT_EQ(std::count_if(loaded.begin(), loaded.end(), [](const TapPolicy& p) { return p.id == 3; }), 0);
  {
    std::ofstream journal(file_.string() + ".journal");
    journal << "{\"remove\": 3}\nnot json\n";
  }
  try {
    make_file_store(file_)->load();
    FAIL() << "a corrupt journal line was accepted";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("policies.json.journal: line 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vtap
