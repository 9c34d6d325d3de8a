import { Button, Text, View } from '@tarojs/components';

import { userMessageOf } from '../services/errors';
import './status-view.scss';

interface StatusViewProps {
  loading: boolean;
  error: unknown;
  onRetry?: () => void;
}

/**
 * Shows a loading line or an error message with a retry button; renders nothing once the data has
 * loaded without error.
 */
export function StatusView({ loading, error, onRetry }: StatusViewProps) {
  if (error !== undefined) {
    return (
      <View className="status-view status-error" data-testid="error-message">
        <Text className="status-text">{userMessageOf(error)}</Text>
        {onRetry && (
          <Button className="status-retry" size="mini" onClick={onRetry}>
            重试
          </Button>
        )}
      </View>
    );
  }
  if (loading) {
    return (
      <View className="status-view status-loading">
        <Text className="status-text">加载中…</Text>
      </View>
    );
  }
  return null;
}

/** Renders a grey line for an empty list. */
export function EmptyView({ text }: { text: string }) {
  return (
    <View className="status-view status-empty">
      <Text className="status-text">{text}</Text>
    </View>
  );
}
