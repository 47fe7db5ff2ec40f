; Triple fault: loads an empty IDT and executes UD2. #UD cannot be delivered (no IDT entry), the #GP
; for that cannot be either, and the double fault ends in a shutdown. The machine must end Crashed.
bits 64
org 0x100000
start:
    lidt [rel idtr]
    ud2
idtr: dw 0
      dq 0
