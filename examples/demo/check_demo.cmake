# CTest `demo`: runs the demo (exit code 0: every step as the protocol says) and checks that a
# step lists what happened in the order it happened: the user's message, then the call the bot
# made on it, then the webhook that call caused. It used to print every call of a step first.
#   cmake -DDEMO=path/to/handover_demo -P check_demo.cmake
execute_process(COMMAND "${DEMO}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "handover_demo exited ${rc}\n${out}\n${err}")
endif()
set(previous -1)
foreach(line
    "messaging bot    message                 \"can I talk to a human?\""
    "call      bot    POST pass_thread_control -> HTTP 200"
    "messaging agent  pass_thread_control     owner bot -> agent")
  string(FIND "${out}" "${line}" at)
  if(at LESS 0)
    message(FATAL_ERROR "the demo did not print: ${line}\n${out}")
  endif()
  if(NOT at GREATER previous)
    message(FATAL_ERROR "the demo printed out of order: ${line}\n${out}")
  endif()
  set(previous ${at})
endforeach()
message(STATUS "the demo passed, its steps in the order things happened")
