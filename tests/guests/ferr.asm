; FERR# guest (the emulator's legacy x87 error route): loaded flat at 0x100000 with -Mode
; Protected. With CR0.NE clear it unmasks the x87 divide-by-zero exception, divides by zero and
; waits: FERR# raises IRQ13 (slave 8259 IR5), whose handler clears the latch through port F0h,
; stores FSW and FNCLEXes. Prints the FSW it saw and exits with 0x13.
; Expected output: "ferr irq13 fsw b084\r\n" (B, ES, ZE, and TOP = 6: the unmasked exception
; stops FDIVP before its pop; measured on the host CPU with FNSTSW right after the FDIVP)
bits 32
org 0x100000
%include "common.inc"

start:
    mov eax, irq13
    mov edi, idt + (IRQ_BASE + 13) * 8
    mov [edi], ax
    mov word [edi + 2], 0x20    ; the loader's code32
    mov word [edi + 4], 0x8e00
    shr eax, 16
    mov [edi + 6], ax
    lidt [idtr]
    PIC_INIT 0xfb               ; master: only the cascade (IRQ2)
    mov al, 0xdf                ; slave: only IR5 (IRQ13)
    out PIC2_DATA, al
    mov eax, cr0
    and eax, ~0x2e              ; NE, TS, EM, MP clear: the PC-AT's FERR# route
    mov cr0, eax
    fninit
    fldcw [control]
    fld1
    fldz
    fdivp st1, st0              ; 1 / 0 with ZE unmasked: ES set, nothing raised yet
    sti
    fwait                       ; the waiting instruction asserts FERR#
.wait:
    cli
    cmp byte [seen], 1
    je .report
    sti                         ; STI's shadow holds the interrupt until the HLT it wakes
    hlt
    jmp .wait
.report:
    mov esi, message
    call puts
    mov ax, [status]
    call hex16
    mov esi, newline
    call puts
    EXIT 0x13

irq13:
    push eax
    out 0xf0, al                ; clear the FERR# latch (IRQ13 goes down)
    fnstsw [status]
    fnclex
    mov byte [seen], 1
    mov al, 0x20
    out PIC2_CMD, al
    out PIC1_CMD, al
    pop eax
    iretd

hex16:
    mov ecx, 4
.digit:
    rol ax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    mov [char], al
    mov esi, char
    call puts
    pop eax
    loop .digit
    ret

PUTS eax, edx, esi

message: db "ferr irq13 fsw ", 0
newline: db 13, 10, 0
char:    db 0, 0
seen:    db 0
align 2
control: dw 0x037b
status:  dw 0
idtr:    dw 256 * 8 - 1
         dd idt
align 8
idt:     times 256 * 8 db 0
