#include "module_harness.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <stdexcept>

namespace bpftest {

DummyLink::DummyLink(const std::string &name) : name_(name) {
    // This kernel has no dummy driver: a veth pair whose peer is up and
    // unused swallows what is sent to it just as well.
    auto r = testsupport::run({"ip", "link", "add", name, "type", "veth", "peer", "name", name + "x"});
    if (r.exit_code != 0) throw std::runtime_error("ip link add " + name + ": " + r.output);
    testsupport::run({"ip", "link", "set", name + "x", "up"});
    testsupport::run({"ip", "link", "set", name, "up"});
    ifindex_ = if_nametoindex(name.c_str());
}

DummyLink::~DummyLink() { testsupport::run({"ip", "link", "del", name_}); }

ModuleHarness::ModuleHarness(hover::AttachMode mode) : mode_(mode) {
    auto chain = hover::ChainMap::create();
    if (!chain.ok()) throw std::runtime_error(chain.error().message);
    chain_ = std::move(chain.value());
}

hover::Module &ModuleHarness::load(const std::string &type, uint32_t id) {
    const hover::ModuleType *t = hover::findBuiltinModuleType(type, mode_);
    if (!t) throw std::runtime_error("no builtin module " + type);
    auto m = hover::Module::load(*t, id, *chain_);
    if (!m.ok()) throw std::runtime_error(m.error().message);
    modules_.push_back(std::move(m.value()));
    return *modules_.back();
}

hover::Module &ModuleHarness::module(uint32_t id) {
    for (auto &m : modules_)
        if (m->id() == id) return *m;
    throw std::runtime_error("module " + std::to_string(id) + " not loaded");
}

const DummyLink &ModuleHarness::netdevPort(uint32_t id, uint32_t port) {
    const std::string name = "iovt" + std::to_string(getpid() % 100000) + "m" + std::to_string(id) + "p" +
                             std::to_string(port);
    links_.push_back(std::make_unique<DummyLink>(name));
    auto s = module(id).connectNetdev(port, links_.back()->ifindex());
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return *links_.back();
}

void ModuleHarness::link(uint32_t id_a, uint32_t port_a, uint32_t id_b, uint32_t port_b) {
    auto a = module(id_a).connectModule(port_a, id_b, port_b);
    auto b = module(id_b).connectModule(port_b, id_a, port_a);
    if (!a.ok() || !b.ok()) throw std::runtime_error("link failed");
}

namespace {
RunResult testRun(int prog_fd, const Bytes &packet, __sk_buff *ctx, int repeat) {
    RunResult r;
    r.out.resize(packet.size() + 256);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet.data(), .data_out = r.out.data(),
                .data_size_in = static_cast<uint32_t>(packet.size()),
                .data_size_out = static_cast<uint32_t>(r.out.size()), .ctx_in = ctx,
                .ctx_size_in = sizeof(*ctx), .repeat = repeat);
    r.rc = bpf_prog_test_run_opts(prog_fd, &opts);
    r.verdict = opts.retval;
    r.out.resize(r.rc == 0 ? opts.data_size_out : 0);
    return r;
}
}  // namespace

RunResult ModuleHarness::runOnPort(uint32_t id, uint32_t in_port, const Bytes &packet, int repeat) {
    if (mode_ != hover::AttachMode::kTc) throw std::runtime_error("runOnPort runs TC modules only");
    __sk_buff ctx{};
    iov_md md{};
    md.module = id;
    md.in_port = in_port;
    static_assert(sizeof(md) == sizeof(ctx.cb));
    memcpy(ctx.cb, &md, sizeof(md));
    return testRun(module(id).chainProgFd(), packet, &ctx, repeat);
}

RunResult ModuleHarness::runFromNetdev(uint32_t id, uint32_t ifindex, const Bytes &packet) {
    if (mode_ != hover::AttachMode::kTc) throw std::runtime_error("runFromNetdev runs TC modules only");
    __sk_buff ctx{};
    ctx.ifindex = ifindex;
    return testRun(module(id).netdevProgFd(), packet, &ctx, 1);
}

uint64_t ModuleHarness::drops(uint32_t id, uint32_t reason) {
    auto d = module(id).drops();
    if (!d.ok()) throw std::runtime_error(d.error().message);
    return (*d)[reason];
}

uint64_t ModuleHarness::totalDrops(uint32_t id) {
    uint64_t sum = 0;
    for (uint32_t r = 1; r < IOV_DROP_MAX; ++r) sum += drops(id, r);
    return sum;
}

uint64_t ModuleHarness::txPackets(uint32_t id, uint32_t port) {
    auto s = module(id).portStats(port);
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return s->tx_packets;
}

uint64_t ModuleHarness::rxPackets(uint32_t id, uint32_t port) {
    auto s = module(id).portStats(port);
    if (!s.ok()) throw std::runtime_error(s.error().message);
    return s->rx_packets;
}

}  // namespace bpftest
