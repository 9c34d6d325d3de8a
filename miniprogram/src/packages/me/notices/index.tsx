import { Button, Switch, Text, View } from '@tarojs/components';
import Taro from '@tarojs/taro';
import type { PushNotice, PushOptOutStatus } from '@wxlearn/api-types';
import { useEffect, useState } from 'react';

import { EmptyView, StatusView } from '../../../components/StatusView';
import { useRemoteData } from '../../../hooks/useRemoteData';
import { getApi } from '../../../services/api';
import { userMessageOf } from '../../../services/errors';
import {
  isSubscribeMessageSupported,
  noticeLink,
  SUBSCRIBE_TOASTS,
  subscribeWeeklyMessage,
} from '../../../services/push';
import { formatDateTime } from '../../../utils/format';
import './index.scss';

/** Text shown while the weekly recommendation is turned off, and in the toast that turns it off. */
const OPTED_OUT_TEXT = '将不再收到每周课程推荐';

/** Button that requests one subscription message from WeChat, rendered in the weapp build only. */
function SubscribeButton({ templateId }: { templateId: string }) {
  const [requesting, setRequesting] = useState(false);

  // No await may come before requestSubscribeMessage: WeChat shows its dialog only during a tap.
  const subscribe = async () => {
    setRequesting(true);
    try {
      const outcome = await subscribeWeeklyMessage(getApi(), templateId);
      void Taro.showToast({
        title: SUBSCRIBE_TOASTS[outcome],
        icon: outcome === 'accepted' ? 'success' : 'none',
      });
    } catch (error) {
      void Taro.showToast({ title: userMessageOf(error), icon: 'none' });
    } finally {
      setRequesting(false);
    }
  };

  return (
    <View className="push-subscribe">
      <Text className="muted">每次订阅可在微信中收到一次推荐提醒</Text>
      <Button
        className="primary-button push-subscribe-button"
        data-testid="push-subscribe-button"
        loading={requesting}
        disabled={requesting}
        onClick={subscribe}
      >
        订阅微信提醒
      </Button>
    </View>
  );
}

/** Renders the 每周课程推荐 switch, on unless the learner opted out, and the weapp subscribe button. */
function PushSettingsCard({ status }: { status: PushOptOutStatus }) {
  const [optedOut, setOptedOut] = useState(status.optedOut);
  const [saving, setSaving] = useState(false);
  useEffect(() => setOptedOut(status.optedOut), [status.optedOut]);

  const change = async (enabled: boolean) => {
    const previous = optedOut;
    setOptedOut(!enabled);
    setSaving(true);
    try {
      const saved = await getApi().setPushOptOut(!enabled);
      setOptedOut(saved.optedOut);
      void Taro.showToast({
        title: saved.optedOut ? OPTED_OUT_TEXT : '已开启每周课程推荐',
        icon: 'none',
      });
    } catch (error) {
      setOptedOut(previous);
      void Taro.showToast({ title: userMessageOf(error), icon: 'none' });
    } finally {
      setSaving(false);
    }
  };

  const templateId = status.subscribeTemplateId;
  return (
    <View className="card push-settings" data-testid="push-settings">
      <View className="push-switch-row">
        <View className="push-switch-text">
          <Text className="push-switch-title">每周课程推荐</Text>
          <Text className="muted" data-testid="push-opt-out-note">
            {optedOut ? OPTED_OUT_TEXT : '每周为你推荐适合的课程'}
          </Text>
        </View>
        <Switch
          className="push-switch"
          data-testid="push-opt-out-switch"
          data-checked={optedOut ? 'false' : 'true'}
          checked={!optedOut}
          disabled={saving}
          color="#1677ff"
          onChange={(event) => void change(event.detail.value)}
        />
      </View>
      {!optedOut && templateId !== null && isSubscribeMessageSupported() && (
        <SubscribeButton templateId={templateId} />
      )}
    </View>
  );
}

function NoticeItem({ notice }: { notice: PushNotice }) {
  return (
    <View
      className="card notice-item"
      data-testid="notice-item"
      data-notice-id={notice.id}
      data-course-id={notice.courseId}
      onClick={() => void Taro.navigateTo({ url: noticeLink(notice) })}
    >
      <View className="notice-head">
        <Text className="notice-title" data-testid="notice-title">
          {notice.title}
        </Text>
        <Text className="muted" data-testid="notice-date">
          {formatDateTime(notice.createdAt)}
        </Text>
      </View>
      <Text className="notice-body" data-testid="notice-body">
        {notice.body}
      </Text>
    </View>
  );
}

export default function NoticesPage() {
  const api = getApi();
  const settings = useRemoteData(() => api.getPushOptOut(), []);
  const notices = useRemoteData(() => api.listNotices(), []);

  return (
    <View className="page notices-page">
      <StatusView
        loading={settings.loading && !settings.data}
        error={settings.error}
        onRetry={settings.reload}
      />
      {settings.data && <PushSettingsCard status={settings.data} />}

      <View className="section">
        <Text className="section-title">消息</Text>
        <StatusView
          loading={notices.loading && !notices.data}
          error={notices.error}
          onRetry={notices.reload}
        />
        {notices.data && notices.data.items.length === 0 && (
          <View data-testid="notices-empty">
            <EmptyView text="暂无消息通知" />
          </View>
        )}
        {notices.data?.items.map((notice) => (
          <NoticeItem key={notice.id} notice={notice} />
        ))}
      </View>
    </View>
  );
}
