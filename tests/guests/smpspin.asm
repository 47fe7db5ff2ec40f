; smp.asm with SPIN: after "smp: N cpus up" every vCPU spins without exits (forced stop, pause tests).
%define SPIN
%include "smp.asm"
