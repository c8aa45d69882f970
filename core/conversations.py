"""A call once an agent answered it: connected, recorded, transferred, ended by either side, the survey after.

``Conversations`` works on ``CallCenter``'s calls and agents; the center hands it the answers, hang-ups and
transfers of talking calls, and the agent goes on to wrap-up (``AgentDesk.after_work``) when a call ends.
"""

from __future__ import annotations

from core.bookkeeping import Handlers
from core.center_part import CenterPart
from core.log import NONE, Verb
from core.messages import (
    AgentAnswered,
    AgentHungUp,
    CallRecorded,
    ConnectCall,
    HangUp,
    PlaySurvey,
    StopRinging,
    SurveyAnswered,
    TransferCall,
    TransferCaller,
)
from core.state import CALL_RINGING, CALL_TALKING, TALKING, Call, CommandRejected


class Conversations(CenterPart):
    def handlers(self) -> Handlers:
        return {
            AgentAnswered: self.agent_answered,
            AgentHungUp: self.agent_hung_up,
            TransferCall: self.transfer_call,
            CallRecorded: self.call_recorded,
            SurveyAnswered: self.survey_answered,
        }

    def agent_answered(self, msg: AgentAnswered, actions: list) -> None:
        center = self.center
        call = center.calls.get(msg.call_id)
        if call is None or call.state != CALL_RINGING or call.agent_id != msg.agent_id:
            # the ring was already withdrawn; the driver must drop the agent's leg
            actions.append(StopRinging(msg.call_id, msg.agent_id))
            return
        now = msg.now
        agent = center.agents[msg.agent_id]
        center.cancel_timer("ring", call.call_id, actions)
        center.leave_queue(call, actions)
        call.state = CALL_TALKING
        call.answered_at = now
        agent.state = TALKING
        agent.calls += 1
        center.emit(
            now,
            call.call_id,
            call.queue,
            agent.agent_id,
            Verb.CONNECT,
            now - call.arrived,
            call.call_id,
            now - call.ring_started,
        )
        actions.append(ConnectCall(call.call_id, agent.agent_id))

    def agent_hung_up(self, msg: AgentHungUp, actions: list) -> None:
        center = self.center
        call = center.calls.get(msg.call_id)
        if call is None or call.state != CALL_TALKING:
            return
        self.complete(call, Verb.COMPLETEAGENT, msg.now, actions)

    def complete(self, call: Call, verb: str, now: float, actions: list, transfer: TransferCall | None = None) -> None:
        """End a conversation: hung up by one side, or (``transfer``) the caller sent on elsewhere."""
        center = self.center
        assert call.agent_id is not None  # a talking call has an agent
        agent = center.agents[call.agent_id]
        talk = now - call.answered_at
        hold = call.answered_at - call.arrived
        if transfer is None:
            center.emit(now, call.call_id, call.queue, agent.agent_id, verb, hold, talk, call.position)
            ending: HangUp | PlaySurvey | TransferCaller = HangUp(call.call_id, "completed")
            if verb == Verb.COMPLETEAGENT and center.policy.survey:
                ending = PlaySurvey(call.call_id, agent.agent_id, call.queue)
        else:
            center.emit(
                now,
                call.call_id,
                call.queue,
                agent.agent_id,
                Verb.TRANSFER,
                transfer.destination,
                transfer.context,
                hold,
                talk,
                call.position,
            )
            ending = TransferCaller(call.call_id, agent.agent_id, transfer.destination, transfer.context)
        agent.talk_total += talk
        agent.call_id = None
        if call.caller:
            center.history.remember(call.caller, agent.agent_id)
        center.end_call(call)
        actions.append(ending)
        center.agent_desk.after_work(agent, now, actions)

    def transfer_call(self, msg: TransferCall, actions: list) -> None:
        center = self.center
        call = center.calls.get(msg.call_id)
        if call is None or call.state != CALL_TALKING:
            raise CommandRejected(f"call {msg.call_id} is not in a conversation")
        if call.agent_id != msg.agent_id:
            raise CommandRejected(f"call {msg.call_id} is with {call.agent_id}, not {msg.agent_id}")
        if not msg.destination.strip() or not msg.context.strip():
            raise CommandRejected("a transfer needs a destination and a context")
        self.complete(call, Verb.TRANSFER, msg.now, actions, transfer=msg)

    def survey_answered(self, msg: SurveyAnswered, actions: list) -> None:
        """After the call: only logged (the call record and the reports take it from the log)."""
        center = self.center
        digit = msg.digit if msg.digit in ("1", "2", "3") else ""
        center.emit(msg.now, msg.call_id, msg.queue, msg.agent_id, Verb.SURVEY, digit)

    def call_recorded(self, msg: CallRecorded, actions: list) -> None:
        center = self.center
        call = center.calls.get(msg.call_id)
        if call is None or call.state != CALL_TALKING:
            return  # ended before the driver reported the recording
        center.emit(msg.now, call.call_id, call.queue, NONE, Verb.RECORDING, msg.file, call.agent_id)
