"""The file to give OpenRLHF: ``--train.agent_func_path clients/python/examples/trainers/openrlhf_agent.py``
(OpenRLHF loads it and instantiates its ``AgentExecutor``). Needs OpenRLHF installed (real, not a
mimic) and the server in ``$MLEDOJO_ENDPOINT``; each prompt's label names its task (a task id, or
``{"task": ..., "budget": {...}, "reward_mode": "delta"}``).

The feedback template carries the chat markup of the model being trained (Qwen's here): OpenRLHF
appends ``environment_feedback`` to the token ids as they are.
"""

from openrlhf.utils.agent import MultiTurnAgentExecutor

from mledojo_client.trainers.openrlhf import MLEDojoAgentInstance


class QwenMLEDojoInstance(MLEDojoAgentInstance):
    feedback_template = "<|im_end|>\n<|im_start|>user\n{observation}<|im_end|>\n<|im_start|>assistant\n"
    max_turns = 10


class AgentExecutor(MultiTurnAgentExecutor):
    def __init__(self):
        super().__init__(QwenMLEDojoInstance)
