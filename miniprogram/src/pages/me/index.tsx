import { Button, Input, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { ChatBindingCodeResponse, LearnerProfile } from '@wxlearn/api-types';
import { useState } from 'react';

import { StatusView } from '../../components/StatusView';
import { useRemoteData } from '../../hooks/useRemoteData';
import { routes } from '../../routes';
import { getApi } from '../../services/api';
import { userMessageOf } from '../../services/errors';
import { formatDateTime } from '../../utils/format';
import './index.scss';

function BindingForm({ onBound }: { onBound: (profile: LearnerProfile) => void }) {
  const [employeeNo, setEmployeeNo] = useState('');
  const [name, setName] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [message, setMessage] = useState('');

  const submit = async () => {
    const body = { employeeNo: employeeNo.trim(), name: name.trim() };
    if (body.employeeNo === '' || body.name === '') {
      setMessage('请填写工号和姓名');
      return;
    }
    setSubmitting(true);
    setMessage('');
    try {
      const profile = await getApi().bindEmployee(body);
      void Taro.showToast({ title: '绑定成功', icon: 'success' });
      onBound(profile);
    } catch (error) {
      setMessage(userMessageOf(error));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <View className="card binding-form" data-testid="binding-form">
      <Text className="binding-form-title">绑定员工身份</Text>
      <Text className="muted">绑定后可查看本单位指派的课程和学时记录</Text>
      <View className="form-row">
        <Text className="form-label">工号</Text>
        <Input
          className="form-input"
          data-testid="binding-employee-no"
          placeholder="请输入工号"
          value={employeeNo}
          onInput={(event) => setEmployeeNo(event.detail.value)}
        />
      </View>
      <View className="form-row">
        <Text className="form-label">姓名</Text>
        <Input
          className="form-input"
          data-testid="binding-name"
          placeholder="请输入姓名"
          value={name}
          onInput={(event) => setName(event.detail.value)}
        />
      </View>
      {message !== '' && (
        <Text className="form-message" data-testid="binding-message">
          {message}
        </Text>
      )}
      <Button
        className="primary-button"
        data-testid="binding-submit"
        loading={submitting}
        disabled={submitting}
        onClick={submit}
      >
        绑定
      </Button>
    </View>
  );
}

/** Shows a one-time code that binds the learner's chat with the service bot or official account. */
function ChatBindingCard() {
  const [code, setCode] = useState<ChatBindingCodeResponse | null>(null);
  const [message, setMessage] = useState('');
  const [loading, setLoading] = useState(false);

  const request = async () => {
    setLoading(true);
    setMessage('');
    try {
      setCode(await getApi().createChatBindingCode());
    } catch (error) {
      setMessage(userMessageOf(error));
    } finally {
      setLoading(false);
    }
  };

  return (
    <View className="card chat-binding" data-testid="chat-binding">
      <Text className="me-entry-title">绑定客服助手</Text>
      <Text className="muted">
        把绑定码发给企业学堂客服（公众号或企业微信），即可查询自己的学时和考试成绩
      </Text>
      {code && (
        <Text className="chat-binding-code" data-testid="chat-binding-code">
          {`绑定码：${code.code}（${formatDateTime(code.expiresAt)} 前有效）`}
        </Text>
      )}
      {message !== '' && <Text className="form-message">{message}</Text>}
      <Button
        className="primary-button"
        data-testid="chat-binding-request"
        loading={loading}
        disabled={loading}
        onClick={request}
      >
        {code ? '重新获取' : '获取绑定码'}
      </Button>
    </View>
  );
}

export default function MePage() {
  const api = getApi();
  const me = useRemoteData(() => api.getMe(), []);
  const [bound, setBound] = useState<LearnerProfile | null>(null);
  const profile = bound ?? me.data;

  return (
    <View className="page me-page">
      <StatusView loading={me.loading && !me.data} error={me.error} onRetry={me.reload} />
      {profile && (
        <View className="card profile" data-testid="profile">
          <Text className="profile-name">
            {profile.binding?.name ?? profile.nickname ?? '学员'}
          </Text>
          {profile.binding ? (
            <View className="profile-binding" data-testid="binding-info">
              <Text className="profile-line">{`工号：${profile.binding.employeeNo}`}</Text>
              <Text className="profile-line">{`岗位：${profile.binding.post}`}</Text>
              <Text className="profile-line">
                {`单位：${profile.binding.orgUnit.pathNames.join(' / ')}`}
              </Text>
              <Text className="muted">{`绑定时间：${formatDateTime(profile.binding.boundAt)}`}</Text>
            </View>
          ) : (
            <Text className="muted">尚未绑定员工身份</Text>
          )}
        </View>
      )}
      {profile && (
        <View
          className="card me-entry"
          data-testid="my-hours-entry"
          onClick={() => void Taro.navigateTo({ url: routes.myHours() })}
        >
          <Text className="me-entry-title">我的学时</Text>
          <Text className="me-entry-arrow">›</Text>
        </View>
      )}
      {profile && (
        <View
          className="card me-entry"
          data-testid="notices-entry"
          onClick={() => void Taro.navigateTo({ url: routes.notices() })}
        >
          <Text className="me-entry-title">消息通知</Text>
          <Text className="me-entry-arrow">›</Text>
        </View>
      )}
      {profile && !profile.binding && <BindingForm onBound={setBound} />}
      {profile?.binding && <ChatBindingCard />}
    </View>
  );
}
