; Long-mode guest: loaded flat at 0x100000 with -Mode Long (the loader built the identity map, GDT
; and stack). Prints on COM1, takes three PIT interrupts through its own IDT, exits with 0x40.
; Expected output: "long mode\r\ntick tick tick\r\n"
bits 64
org 0x100000
%include "common.inc"

start:
    lea rsi, [rel hello]
    call puts
    ; IDT entry for the timer vector: a 64-bit interrupt gate to timer, selector 0x08 (loader's code64).
    lea rdi, [rel idt + IRQ_BASE * 16]
    lea rax, [rel timer]
    mov [rdi], ax
    mov word [rdi + 2], 0x08
    mov word [rdi + 4], 0x8e00
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    lidt [rel idtr]
    PIC_INIT 0xfe
    PIT_INIT
    sti
.wait:
    hlt
    cmp dword [rel ticks], 3
    jb .wait
    cli
    lea rsi, [rel newline]
    call puts
    EXIT 0x40

timer:
    push rax
    push rsi
    inc dword [rel ticks]
    lea rsi, [rel tick]
    call puts
    EOI
    pop rsi
    pop rax
    iretq

PUTS rax, rdx, rsi

hello:   db "long mode", 13, 10, 0
tick:    db "tick ", 0
newline: db 13, 10, 0
align 4
ticks:   dd 0
align 16
idtr:    dw 256 * 16 - 1
         dq idt
align 16
idt:     times 256 * 16 db 0
