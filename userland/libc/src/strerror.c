/* strerror.c -- the name of an errno value: the kernel's ErrorCode names, and the library's own. */
#include <string.h>
#include <errno.h>

/* The kernel's error names (kernel/Syscalls/ErrorCode.cs), by errno value. */
char *strerror(int errnum)
{
    switch (errnum) {
    case 0: return "Success";
    case EUNKNOWN_SYSCALL: return "UnknownSyscall";
    case EINVAL: return "InvalidArgument";
    case EFAULT: return "BadAddress";
    case EMISALIGNED: return "Misaligned";
    case ENOMEM: return "OutOfMemory";
    case ESRCH: return "NoSuchProcess";
    case ENOTHREAD: return "NoSuchThread";
    case EPERM: return "NotPermitted";
    case EALREADY_MAPPED: return "AlreadyMapped";
    case ENOT_MAPPED: return "NotMapped";
    case ENO_MPU_REGION: return "NoMpuRegion";
    case EQUEUE_FULL: return "QueueFull";
    case ENO_HANDLER: return "NoHandler";
    case ETIMEDOUT: return "TimedOut";
    case EDEADLOCK: return "Deadlock";
    case ELIMIT: return "LimitReached";
    case EWOULDBLOCK: return "WouldBlock";
    case EPEER_FAULTED: return "PeerFaulted";
    case EEXITED: return "ProcessExited";
    case ENO_OBJECT: return "NoSuchObject";
    case ENO_METHOD: return "NoSuchMethod";
    case EBAD_ARGC: return "BadArgCount";
    case ENESTING: return "NestingTooDeep";
    case ERESTARTING: return "ServiceRestarting";
    case ENAME_IN_USE: return "NameInUse";
    case ECLOSED: return "ObjectClosed";
    case EBADHANDLE: return "BadHandle";
    case ENAME_TAKEN: return "NameTaken";
    case ENO_NAME: return "NoSuchName";
    case ENO_SEGMENT: return "NoSuchSegment";
    case ENOT_THIS_PAIR: return "NotThisPair";
    case ENOT_OWNER: return "NotOwner";
    case EALREADY_SENT: return "AlreadySent";
    case ENO_CONNECTION: return "NoSuchConnection";
    case EDOM: return "Numerical argument out of domain";
    case ERANGE: return "Numerical result out of range";
    default: return "Unknown error";
    }
}
