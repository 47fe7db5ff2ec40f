/*
 * Reference for Kvm.Bench.ps1: the same two measurements as VirtTools, with the KVM ioctls called
 * directly. Same machine shape as VirtMachine's defaults: 16 MiB, in-kernel irqchip and PIT (memory
 * mapped first), CPUID from KVM_GET_SUPPORTED_CPUID, the guest entered in long mode with identity
 * page tables and a GDT at the addresses of MachineLayout.cs. It also does the set-up steps our
 * machine does for every guest, so both sides do the same job: the identity-map page address
 * (KvmVm), LINT0 as ExtINT and LINT1 as NMI in the local APIC (KvmVcpu.ConfigureLapic), and the
 * boot MSRs of the long-mode loader (CpuSetup.BootMsrs). Not mirrored: our open-time API-version
 * and capability checks (a few KVM_CHECK_EXTENSION calls) and the log.
 *
 *   kvm_reference <guest.bin> <runs> [first|rate] [mappings]
 * prints "first_exit_us <median>" (create VM .. first exit, over <runs> VMs) and/or
 * "exits_per_second <n>" (one run of the whole guest, OUTs to port 0x80 until a write to 0xf4).
 * With <mappings>, the process first grows to that many memory mappings (a third each: file-backed,
 * touched anonymous memory, PROT_NONE reservations, the mix of a .NET process), because
 * KVM_CREATE_VM registers an MMU notifier, which locks every mapping of the calling process
 * (mm_take_all_locks): the figure then shows what a process of pwsh's shape pays for that alone.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM (16u << 20)
#define LOAD 0x100000
#define CHECK(x) do { if ((x) < 0) { perror(#x); exit(1); } } while (0)

static double now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }

struct vm { int kvm, vm, vcpu; uint8_t *mem; struct kvm_run *run; int run_size; };

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t l, uint8_t db) {
    memset(s, 0, sizeof *s);
    s->limit = 0xffffffff; s->selector = sel; s->type = type; s->present = 1; s->s = 1; s->l = l; s->db = db; s->g = 1;
}

static void create(struct vm *v, const uint8_t *image, size_t size) {
    v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC); CHECK(v->kvm);
    v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0); CHECK(v->vm);
    CHECK(ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000));
    uint64_t identity = 0xfffbc000;
    CHECK(ioctl(v->vm, KVM_SET_IDENTITY_MAP_ADDR, &identity));
    v->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0, .memory_size = MEM, .userspace_addr = (uint64_t)v->mem };
    CHECK(ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region));
    CHECK(ioctl(v->vm, KVM_CREATE_IRQCHIP, 0));
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    CHECK(ioctl(v->vm, KVM_CREATE_PIT2, &pit));
    v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0); CHECK(v->vcpu);
    v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + 256 * sizeof(struct kvm_cpuid_entry2));
    cpuid->nent = 256;
    CHECK(ioctl(v->kvm, KVM_GET_SUPPORTED_CPUID, cpuid));
    CHECK(ioctl(v->vcpu, KVM_SET_CPUID2, cpuid));
    free(cpuid);
    struct kvm_lapic_state lapic;
    CHECK(ioctl(v->vcpu, KVM_GET_LAPIC, &lapic));
    uint32_t *lvt0 = (uint32_t *)(lapic.regs + 0x350), *lvt1 = (uint32_t *)(lapic.regs + 0x360);
    *lvt0 = (*lvt0 & ~0x700u) | (7u << 8);
    *lvt1 = (*lvt1 & ~0x700u) | (4u << 8);
    CHECK(ioctl(v->vcpu, KVM_SET_LAPIC, &lapic));

    memcpy(v->mem + LOAD, image, size);
    uint64_t *gdt = (uint64_t *)(v->mem + 0x500);
    gdt[0] = 0; gdt[1] = 0x00af9b000000ffff; gdt[2] = 0x00cf93000000ffff; gdt[3] = 0x008f8b000000ffff;
    uint64_t *pml4 = (uint64_t *)(v->mem + 0x9000), *pdpt = (uint64_t *)(v->mem + 0xa000);
    pml4[0] = 0xa000 | 3;
    for (int d = 0; d < 4; d++) {
        uint64_t *pd = (uint64_t *)(v->mem + 0xb000 + d * 0x1000);
        pdpt[d] = (0xb000 + d * 0x1000) | 3;
        for (int i = 0; i < 512; i++) pd[i] = (((uint64_t)d * 512 + i) << 21) | 0x83;
    }
    struct kvm_sregs sregs;
    CHECK(ioctl(v->vcpu, KVM_GET_SREGS, &sregs));
    seg(&sregs.cs, 0x08, 0xb, 1, 0);
    seg(&sregs.ds, 0x10, 0x3, 0, 1);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.gdt.base = 0x500; sregs.gdt.limit = 31;
    sregs.cr3 = 0x9000; sregs.cr4 = 0x20; sregs.cr0 = 0x80000011; sregs.efer = 0x500;
    CHECK(ioctl(v->vcpu, KVM_SET_SREGS, &sregs));
    static const uint32_t msr_index[] = { 0x174, 0x175, 0x176, 0xc0000081, 0xc0000083, 0xc0000102, 0xc0000084, 0xc0000082, 0x10, 0x1a0, 0x2ff };
    static const uint64_t msr_value[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, (1 << 11) | 6 };
    struct { struct kvm_msrs head; struct kvm_msr_entry entries[11]; } msrs;
    memset(&msrs, 0, sizeof msrs);
    msrs.head.nmsrs = 11;
    for (int i = 0; i < 11; i++) { msrs.entries[i].index = msr_index[i]; msrs.entries[i].data = msr_value[i]; }
    if (ioctl(v->vcpu, KVM_SET_MSRS, &msrs) != 11) { fprintf(stderr, "KVM_SET_MSRS refused an MSR\n"); exit(1); }
    struct kvm_regs regs = { .rip = LOAD, .rflags = 2, .rsp = 0x8ff0 };
    CHECK(ioctl(v->vcpu, KVM_SET_REGS, &regs));
}

static void destroy(struct vm *v) {
    munmap(v->run, v->run_size); close(v->vcpu); close(v->vm); munmap(v->mem, MEM); close(v->kvm);
}

/* Adds mappings that cannot merge with their neighbours (alternating protections). */
static void grow_mappings(int target) {
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC); CHECK(fd);
    long page = sysconf(_SC_PAGESIZE);
    for (int i = 0; i < target / 3; i++) {
        int prot = i % 2 ? PROT_READ : PROT_READ | PROT_EXEC;
        if (mmap(NULL, page, prot, MAP_PRIVATE, fd, 0) == MAP_FAILED) { perror("mmap file"); exit(1); }
        volatile uint8_t *anon = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (anon == MAP_FAILED) { perror("mmap anon"); exit(1); }
        anon[0] = 1;
        if (i % 2) CHECK(mprotect((void *)anon, page, PROT_READ));
        if (mmap(NULL, page * 2, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED) { perror("mmap none"); exit(1); }
    }
    close(fd);
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s guest.bin runs\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "rb"); if (!f) { perror(argv[1]); return 1; }
    static uint8_t image[1 << 20]; size_t size = fread(image, 1, sizeof image, f); fclose(f);
    int runs = atoi(argv[2]);
    const char *only = argc > 3 ? argv[3] : "";
    if (argc > 4) grow_mappings(atoi(argv[4]));

    if (strcmp(only, "rate") != 0) {
    double *samples = calloc(runs, sizeof *samples);
    for (int r = 0; r < runs; r++) {
        struct vm v;
        double t0 = now_us();
        create(&v, image, size);
        CHECK(ioctl(v.vcpu, KVM_RUN, 0));
        samples[r] = now_us() - t0;
        if (v.run->exit_reason != KVM_EXIT_IO) { fprintf(stderr, "first exit %u, not IO\n", v.run->exit_reason); return 1; }
        destroy(&v);
    }
    qsort(samples, runs, sizeof *samples, cmp);
    printf("first_exit_us %.1f\n", samples[runs / 2]);
    }
    if (strcmp(only, "first") == 0) return 0;

    struct vm v;
    create(&v, image, size);
    long exits = 0;
    double t0 = now_us();
    for (;;) {
        CHECK(ioctl(v.vcpu, KVM_RUN, 0));
        if (v.run->exit_reason != KVM_EXIT_IO) { fprintf(stderr, "unexpected exit %u\n", v.run->exit_reason); return 1; }
        exits++;
        if (v.run->io.port == 0xf4) break;
    }
    double elapsed = now_us() - t0;
    printf("exits_per_second %.0f\n", exits / (elapsed / 1e6));
    destroy(&v);
    return 0;
}
