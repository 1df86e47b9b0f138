#include "module_harness.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
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

ModuleHarness::ModuleHarness(hover::AttachMode mode, hover::HookSettings settings) : mode_(mode) {
    auto chain = hover::ChainMap::create(mode_, settings);
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

// XDP: the metadata goes in front of the packet (data_meta .. data), and the
// kernel hands both back; the verdict is mapped to the TC value.
RunResult ModuleHarness::runXdp(int prog_fd, const Bytes &meta, const Bytes &packet, uint32_t ifindex) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0 || info.type != BPF_PROG_TYPE_XDP)
        throw std::runtime_error("an XDP run of a program that is not XDP");
    Bytes in = meta;
    in.insert(in.end(), packet.begin(), packet.end());
    xdp_md ctx{};
    ctx.data = static_cast<uint32_t>(meta.size());
    ctx.data_end = static_cast<uint32_t>(in.size());
    ctx.ingress_ifindex = ifindex;
    xdp_md ctx_out{};
    RunResult r;
    r.out.resize(in.size() + 256);
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data(), .data_out = r.out.data(),
                .data_size_in = static_cast<uint32_t>(in.size()), .data_size_out = static_cast<uint32_t>(r.out.size()),
                .ctx_in = &ctx, .ctx_out = &ctx_out, .ctx_size_in = sizeof(ctx), .ctx_size_out = sizeof(ctx_out));
    r.rc = bpf_prog_test_run_opts(prog_fd, &opts);
    switch (opts.retval) {
        case XDP_REDIRECT: r.verdict = kRedirect; break;
        case XDP_DROP: r.verdict = kShot; break;
        case XDP_PASS: r.verdict = kOk; break;
        default: r.verdict = 100 + opts.retval;  // XDP_ABORTED, XDP_TX: no TC twin
    }
    const size_t meta_out = r.rc == 0 ? ctx_out.data - ctx_out.data_meta : 0;
    r.out.resize(r.rc == 0 ? opts.data_size_out : 0);
    r.out.erase(r.out.begin(), r.out.begin() + std::min(meta_out, r.out.size()));
    return r;
}

RunResult ModuleHarness::runOnPort(uint32_t id, uint32_t in_port, const Bytes &packet, int repeat) {
    iov_md md{};
    md.module = id;
    md.in_port = in_port;
    if (mode_ == hover::AttachMode::kXdp) {
        const auto *raw = reinterpret_cast<const uint8_t *>(&md);
        RunResult r;
        for (int i = 0; i < repeat; ++i) r = runXdp(module(id).chainProgFd(), Bytes(raw, raw + sizeof(md)), packet, 0);
        return r;
    }
    __sk_buff ctx{};
    static_assert(sizeof(md) == sizeof(ctx.cb));
    memcpy(ctx.cb, &md, sizeof(md));
    return testRun(module(id).chainProgFd(), packet, &ctx, repeat);
}

RunResult ModuleHarness::runFromNetdev(uint32_t id, uint32_t ifindex, const Bytes &packet) {
    if (mode_ == hover::AttachMode::kXdp) return runXdp(module(id).netdevProgFd(), {}, packet, ifindex);
    __sk_buff ctx{};
    ctx.ifindex = ifindex;
    return testRun(module(id).netdevProgFd(), packet, &ctx, 1);
}

uint64_t ModuleHarness::flowCounter(uint32_t counter) const {
    auto c = chain_->flowCounters();
    if (!c.ok()) throw std::runtime_error(c.error().message);
    return (*c).at(counter);
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
