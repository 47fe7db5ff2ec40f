; smp.asm with CRASH: each AP, once counted, loads an empty IDT and raises #BP: a triple fault on that vCPU.
%define CRASH
%include "smp.asm"
