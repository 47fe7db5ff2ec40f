; Alignment-check guest: loaded flat at 0x100000 with -Mode Protected. It loads its own GDT (ring-0
; and ring-3 flat segments, a TSS for the ring-0 stack) and IDT, sets CR0.AM and EFLAGS.AC, drops to
; ring 3 with SYSEXIT, does an aligned and then a misaligned dword load. The #AC handler checks the
; error code (0) and the frame (the misaligned load's EIP, ring-3 CS) and exits with 0x70; any other
; outcome prints "bad" and exits with 0x71.
; Expected output: "align: ac ok\r\n"
bits 32
org 0x100000
%include "common.inc"

%define CODE0 0x08
%define DATA0 0x10
%define CODE3 0x1b
%define DATA3 0x23
%define TSSSEL 0x28
%define ADDR(label) (label - $$ + 0x100000)

start:
    lgdt [gdtr]
    jmp CODE0:.flat
.flat:
    mov ax, DATA0
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, stack0
    mov ax, TSSSEL
    ltr ax
    mov eax, ac_handler
    mov edi, idt + 17 * 8
    call set_gate
    mov eax, other_fault
    mov edi, idt + 13 * 8
    call set_gate
    mov edi, idt + 14 * 8
    call set_gate
    lidt [idtr]
    mov esi, hello
    call puts
    mov ecx, 0x174              ; IA32_SYSENTER_CS: SYSEXIT takes ring-3 CS and SS from it
    mov eax, CODE0
    xor edx, edx
    wrmsr
    mov eax, cr0
    or eax, 0x40000             ; CR0.AM
    mov cr0, eax
    pushfd
    or dword [esp], 0x40000     ; EFLAGS.AC, kept by SYSEXIT
    popfd
    mov ecx, stack3
    mov edx, user
    sysexit

user:
    mov eax, [buffer]           ; aligned: no fault
misaligned:
    mov eax, [buffer + 1]       ; #AC(0)
    ud2

ac_handler:
    cmp dword [esp], 0
    jne other_fault
    cmp dword [esp + 4], misaligned
    jne other_fault
    cmp dword [esp + 8], CODE3
    jne other_fault
    mov esi, ok
    call puts
    EXIT 0x70

other_fault:
    mov esi, bad
    call puts
    EXIT 0x71

; EAX: handler; EDI: the IDT entry. A 32-bit interrupt gate to CODE0.
set_gate:
    mov [edi], ax
    mov word [edi + 2], CODE0
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov [edi + 6], ax
    ret

PUTS eax, edx, esi

hello: db "align:", 0
ok:    db " ac ok", 13, 10, 0
bad:   db " bad", 13, 10, 0

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08 ring-0 code
    dq 0x00CF92000000FFFF       ; 0x10 ring-0 data
    dq 0x00CFFA000000FFFF       ; 0x18 ring-3 code (SYSENTER_CS + 16)
    dq 0x00CFF2000000FFFF       ; 0x20 ring-3 data (SYSENTER_CS + 24)
    dw 0x67, ADDR(tss) & 0xffff ; 0x28 32-bit TSS
    db (ADDR(tss) >> 16) & 0xff, 0x89, 0, ADDR(tss) >> 24
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

align 16
tss:
    dd 0
    dd stack0                   ; ESP0
    dd DATA0                    ; SS0
    times 23 dd 0
    dw 0, 104
idtr:
    dw 256 * 8 - 1
    dd idt
align 16
buffer: times 16 db 0
align 8
idt:    times 256 * 8 db 0
align 16
    times 256 db 0
stack0:
    times 256 db 0
stack3:
