// A plugin of another build: it exports the llvm plugin's entry point, but its table carries
// another build id (the first field of every plugin table), so libpatchjit must refuse it
// without touching anything else in it.
namespace {
struct Table {
  const char* build_id;
};
const Table kTable{"another-build"};
}  // namespace

extern "C" __attribute__((visibility("default"))) const void* pj_llvm_plugin() { return &kTable; }
