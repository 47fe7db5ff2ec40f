; Protected-mode guest: loaded flat at 0x100000 with -Mode Protected (flat segments from the loader's
; GDT, paging off). Prints on COM1, takes three PIT interrupts through its own IDT and exits with 0x20.
; Expected output: "protected mode\r\ntick tick tick \r\n"
; With PAGING defined (paging.asm) it first turns on paging over its own page tables.
bits 32
org 0x100000
%include "common.inc"

start:
%ifdef PAGING
    ; Page table: 1024 entries of 4 KiB, identity, present + writable.
    mov edi, page_table
    mov eax, 0x3
    mov ecx, 1024
.fill:
    mov [edi], eax
    add eax, 0x1000
    add edi, 4
    loop .fill
    mov dword [page_directory], page_table + 0x3
    mov eax, page_directory
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
%endif
    mov esi, hello
    call puts
    ; IDT entry for the timer: 32-bit interrupt gate, selector 0x20 (the loader's code32).
    mov eax, timer
    mov edi, idt + IRQ_BASE * 8
    mov [edi], ax
    mov word [edi + 2], 0x20
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov [edi + 6], ax
    lidt [idtr]
    PIC_INIT 0xfe
    PIT_INIT
    sti
.wait:
    hlt
    cmp dword [ticks], 3
    jb .wait
    cli
    mov esi, newline
    call puts
%ifdef PAGING
    EXIT 0x21
%else
    EXIT 0x20
%endif

; The handler returns with POPFD; STI; RETF 4 instead of IRET: KVM's instruction emulator, which runs
; guest CPL0 code outside long mode on kvm_pvm hosts, implements IRET for real mode only (em_iret) and
; fails the run on a 32-bit one. The gate cleared IF, POPFD restores the interrupted arithmetic flags
; with IF still clear, STI's one-instruction shadow covers the RETF, and RETF 4 drops the saved EFLAGS.
timer:
    pushfd
    push eax
    push esi
    inc dword [ticks]
    mov esi, tick
    call puts
    EOI
    pop esi
    pop eax
    popfd
    sti
    retf 4

PUTS eax, edx, esi

%ifdef PAGING
hello:   db "protected mode, paging on", 13, 10, 0
%else
hello:   db "protected mode", 13, 10, 0
%endif
tick:    db "tick ", 0
newline: db 13, 10, 0
align 4
ticks:   dd 0
idtr:    dw 256 * 8 - 1
         dd idt
align 8
idt:     times 256 * 8 db 0
%ifdef PAGING
align 4096
page_directory: times 1024 dd 0
page_table:     times 1024 dd 0
%endif
