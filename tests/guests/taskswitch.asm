; Hardware task switching guest: loaded flat at 0x100000 with -Mode Protected. It loads its own GDT
; (three 32-bit TSSs, a task gate, a call gate) and IDT (vector 0x40: a task gate), then CALLs a TSS
; and comes back by IRETD through the back link, enters the same task again by INT 0x40, calls
; through the call gate and RETFs, JMPs to a third task that JMPs back, and checks CR0.TS, NT and
; TR at the end. Each step prints a word on COM1; exits with 0x60 (0x61 if a check failed).
; Expected output: "tasks: call int gate jmp ok\r\n"
bits 32
org 0x100000
%include "common.inc"

%define CODE  0x08
%define DATA  0x10
%define TSS1  0x18
%define TSS2  0x20
%define TSS3  0x28
%define TGATE 0x30
%define CGATE 0x38
%define ADDR(label) (label - $$ + 0x100000)

start:
    lgdt [gdtr]
    jmp CODE:.flat
.flat:
    mov ax, DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, stack1
    mov ax, TSS1
    ltr ax
    lidt [idtr]
    mov esi, hello
    call puts
    call TSS2:0                 ; task 2 prints "call" and IRETs back through its link
    int 0x40                    ; the task gate: task 2 again, from where its IRET left it
    call CGATE:0                ; the call gate: same privilege, RETF back
    jmp TSS3:0                  ; task 3 prints "jmp" and JMPs back here
    mov eax, cr0
    test al, 8                  ; CR0.TS: set by every task switch
    jz .bad
    pushfd
    pop eax
    test eax, 0x4000            ; NT: task 1 was never nested
    jnz .bad
    str ax
    cmp ax, TSS1
    jne .bad
    mov esi, ok
    call puts
    EXIT 0x60
.bad:
    mov esi, bad
    call puts
    EXIT 0x61

; Task 2: entered nested (NT set, link = TSS1) both times; each IRETD returns to task 1.
task2:
    call nested
    mov esi, msg_call
    call puts
    iretd
    call nested
    mov esi, msg_int
    call puts
    iretd

nested:
    pushfd
    pop eax
    test eax, 0x4000
    jz .no
    cmp word [tss2], TSS1
    jne .no
    ret
.no:
    mov esi, bad
    call puts
    EXIT 0x62

task3:
    mov esi, msg_jmp
    call puts
    jmp TSS1:0

gate_target:
    mov esi, msg_gate
    call puts
    retf

PUTS eax, edx, esi

hello:    db "tasks:", 0
msg_call: db " call", 0
msg_int:  db " int", 0
msg_gate: db " gate", 0
msg_jmp:  db " jmp", 0
ok:       db " ok", 13, 10, 0
bad:      db " bad", 13, 10, 0

%macro TSS_DESCRIPTOR 1
    dw 0x67, (%1) & 0xffff
    db ((%1) >> 16) & 0xff, 0x89, 0, (%1) >> 24
%endmacro

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF       ; 0x08 code, flat
    dq 0x00CF92000000FFFF       ; 0x10 data, flat
    TSS_DESCRIPTOR ADDR(tss1)   ; 0x18
    TSS_DESCRIPTOR ADDR(tss2)   ; 0x20
    TSS_DESCRIPTOR ADDR(tss3)   ; 0x28
    dw 0, TSS2                  ; 0x30 task gate to task 2
    db 0, 0x85
    dw 0
    dw ADDR(gate_target) & 0xffff, CODE  ; 0x38 32-bit call gate, no parameters
    db 0, 0x8c
    dw ADDR(gate_target) >> 16
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

align 8
idt:
    times 0x40 dq 0
    dw 0, TSS2                  ; vector 0x40: task gate to task 2
    db 0, 0x85
    dw 0
idt_end:
idtr:
    dw idt_end - idt - 1
    dd idt

; 32-bit TSSs: EIP, ESP and flat selectors for the tasks that start from them; I/O map past the limit.
%macro TSS 2
    dd 0                        ; back link
    dd 0, 0, 0, 0, 0, 0         ; ESP0, SS0 .. ESP2, SS2
    dd 0                        ; CR3 (paging is off)
    dd %1                       ; EIP
    dd 2                        ; EFLAGS
    dd 0, 0, 0, 0, %2, 0, 0, 0  ; EAX ECX EDX EBX ESP EBP ESI EDI
    dd DATA, CODE, DATA, DATA, DATA, DATA
    dd 0                        ; LDT
    dw 0, 104                   ; T, I/O map base
%endmacro

align 16
tss1: TSS 0, 0
tss2: TSS task2, stack2
tss3: TSS task3, stack3

align 16
    times 256 db 0
stack1:
    times 256 db 0
stack2:
    times 256 db 0
stack3:
