; Interrupt-driven UART echo: enables the receive interrupt (IER bit 0) and IRQ 4, halts, and on each
; interrupt echoes what arrived. A 'q' ends the run with exit code 0x45. Prints "echo> " first.
bits 64
org 0x100000
%include "common.inc"
start:
    lea rdi, [rel idt + (IRQ_BASE + 4) * 16]
    lea rax, [rel uart_irq]
    mov [rdi], ax
    mov word [rdi + 2], 0x08
    mov word [rdi + 4], 0x8e00
    shr rax, 16
    mov [rdi + 6], ax
    shr rax, 16
    mov [rdi + 8], eax
    lidt [rel idtr]
    PIC_INIT 0xef               ; IRQ 4 only
    mov dx, COM1 + 3
    mov al, 0x03                ; 8N1, DLAB off
    out dx, al
    mov dx, COM1 + 4
    mov al, 0x0b                ; DTR, RTS, OUT2 (the PC's interrupt gate)
    out dx, al
    mov dx, COM1 + 1
    mov al, 0x01                ; receive interrupt
    out dx, al
    lea rsi, [rel prompt]
.prompt:
    lodsb
    test al, al
    jz .ready
    mov dx, COM1
    out dx, al
    jmp .prompt
.ready:
.wait:
    ; Look at the flag with interrupts off, then STI;HLT: STI's one-instruction shadow lets an
    ; interrupt in only once the CPU halts. (HLT; CMP; JE lost a 'q' whose interrupt came between
    ; the compare and the HLT: the handler set the flag and the guest halted for good.)
    cli
    cmp byte [rel quit], 0
    jne .quit
    sti
    hlt
    jmp .wait
.quit:
    EXIT 0x45

uart_irq:
    push rax
    push rdx
.more:
    mov dx, COM1 + 5
    in al, dx
    test al, 1                  ; LSR.DR
    jz .done
    mov dx, COM1
    in al, dx
    cmp al, 'q'
    jne .echo
    mov byte [rel quit], 1
.echo:
    out dx, al
    jmp .more
.done:
    EOI
    pop rdx
    pop rax
    iretq

prompt: db "echo> ", 0
quit:   db 0
align 16
idtr:   dw 256 * 16 - 1
        dq idt
align 16
idt:    times 256 * 16 db 0
