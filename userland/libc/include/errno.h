/*
 * errno.h -- errno holds the kernel's error codes (kernel/Syscalls/ErrorCode.cs, mk.h's MK_E*) as positive
 * numbers: a syscall that returns MK_ENOMEM (-5) sets errno to ENOMEM (5). EDOM and ERANGE are the C library's own.
 */
#ifndef _ERRNO_H
#define _ERRNO_H
extern int errno;
#define EUNKNOWN_SYSCALL 1
#define EINVAL        2
#define EFAULT        3
#define EMISALIGNED   4
#define ENOMEM        5
#define ESRCH         6
#define ENOTHREAD     7
#define EPERM         8
#define EALREADY_MAPPED 9
#define ENOT_MAPPED  10
#define ENO_MPU_REGION 11
#define EQUEUE_FULL  12
#define ENO_HANDLER  13
#define ETIMEDOUT    14
#define EDEADLOCK    15
#define ELIMIT       16
#define EWOULDBLOCK  17
#define EAGAIN       EWOULDBLOCK
#define EPEER_FAULTED 18
#define EEXITED      19
#define ENO_OBJECT   20
#define ENO_METHOD   21
#define EBAD_ARGC    22
#define ENESTING     23
#define ERESTARTING  24
#define ENAME_IN_USE 25
#define ECLOSED      30
#define EBADHANDLE   31
#define ENAME_TAKEN  32
#define ENO_NAME     33
#define ENO_SEGMENT  40
#define ENOT_THIS_PAIR 41
#define ENOT_OWNER   42
#define EALREADY_SENT 43
#define ENO_CONNECTION 44
#define EDOM        100   /* math argument out of domain (the C library's, not the kernel's) */
#define ERANGE      101   /* result out of range: strtol */
#endif
